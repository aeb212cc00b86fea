"""What the distilled student reads (pyfunc.deep.Encoder) and what it learns from (the targets)."""

import numpy as np
import pandas as pd

from airparadis.core import data
from airparadis.training import distill
from pyfunc.deep import OOV_INDEX, RESERVED, Encoder, subwords
from pyfunc.preprocess import clean_text

VOCABULARY = [*RESERVED, "flight", "cancelled", "again", "😡"]


def encoder(**kw):
    return Encoder({t: i for i, t in enumerate(VOCABULARY)}, 6, **kw)


def test_emoji_are_tokens_and_an_unseen_spelling_shares_subwords_with_a_known_word():
    enc = encoder(subword_buckets=1024, subword_length=40, emoji=True)
    known, unseen = enc.encode([clean_text("flight cancelled again 😡"), clean_text("flight canceled again 😡")])
    assert known[:4].tolist() == [2, 3, 4, 5] and unseen[1] == OOV_INDEX and unseen[3] == 5
    shared = set(known[6:][known[6:] > 0]) & set(unseen[6:][unseen[6:] > 0])
    assert len(shared) >= 6 and all(len(VOCABULARY) <= i < len(VOCABULARY) + 1024 for i in shared)
    assert "<ca" in subwords("canceled") and subwords("😡") == ["<😡>"]


def test_without_subwords_and_emoji_the_encoding_is_the_plain_deep_models():
    (row,) = encoder().encode([clean_text("flight cancelled 😡 again")])
    assert row.tolist() == [2, 3, 4, 0, 0, 0] and encoder().width == 6


def test_targets_mix_the_teacher_with_noisy_labels_but_keep_human_feedback_as_is():
    train = pd.DataFrame({"text": ["a", "b", "c"], "label": [1, 0, 1], "feedback": [False, False, True]})
    splits = data.Splits(train, *[train.head(0)] * 5, source="test")
    got = distill.targets(splits, np.array([0.2, np.nan, 0.1]), alpha=0.7)
    np.testing.assert_allclose(got, [0.7 * 0.2 + 0.3 * 1, 0.0, 1.0])
