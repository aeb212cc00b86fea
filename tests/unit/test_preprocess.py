"""Unit tests of the preprocessing every model carries."""

import pytest

from pyfunc.preprocess import URL_TOKEN, USER_TOKEN, clean_text, fix_mojibake, tokenize


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("donâ€™t", "don\u2019t"),  # UTF-8 right quote read as cp1252
        ("CafÃ©", "Café"),  # UTF-8 é read as latin-1
        ("Café and naïve stay", "Café and naïve stay"),  # real accents are left alone
        ("ï¿½25 free bet", "\ufffd25 free bet"),  # the replacement character of the original files
    ],
)
def test_mojibake_is_repaired_run_by_run(raw, fixed):
    assert fix_mojibake(raw) == fixed


def test_entities_urls_mentions_and_hashtags():
    cleaned = clean_text("@AirParadis &quot;late&quot; &amp;amp; rude http://t.co/x1 www.example.com #fail")
    assert cleaned == f'{USER_TOKEN} "late" & rude {URL_TOKEN} {URL_TOKEN} fail'


def test_emails_are_not_mentions_and_repeats_are_shortened():
    assert clean_text("mail a@b.com  soooooo   HAPPYYYY!!!") == "mail a@b.com soo happyy!!"


def test_tokenize_keeps_negations_and_punctuation_marks():
    assert tokenize(clean_text("I don't like it?! Café")) == ["i", "don't", "like", "it", "?", "!", "café"]


def test_same_text_whatever_the_quote_style():
    assert clean_text("don\u2019t") == clean_text("don't") == clean_text("donâ€™t")


def test_numbers_are_not_shortened():
    assert clean_text("waited 1000 minutes...") == "waited 1000 minutes.."
