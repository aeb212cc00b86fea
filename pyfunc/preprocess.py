"""Tweet normalisation shared by training and serving.

The same function runs when a model is trained and when it answers a request, so both see the
same text. It is deliberately plain (regular expressions, the standard library) so every model
can carry it.

Steps, in order:
1. repair the mojibake of the original files (UTF-8 bytes read as latin-1 / cp1252),
2. unescape HTML entities (``&amp;``, ``&quot;``, ``&lt;`` ...),
3. replace URLs by ``xxurl`` and @mentions by ``xxuser`` (the model must not learn names),
4. drop the ``#`` of hashtags, lower-case, fold typographic quotes,
5. shorten letters and ``!?.`` repeated 3+ times to two (``loooove!!!`` -> ``loove!!``),
6. collapse white space.
"""

from __future__ import annotations

import html
import re
import unicodedata

URL_TOKEN = "xxurl"
USER_TOKEN = "xxuser"

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|ly|co|me|tv|fm|gd)/\S*", re.I)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_REPEAT = re.compile(r"([^\W\d_]|[!?.])\1{2,}")  # letters and !?. (not digits: 1000 stays)
_SPACES = re.compile(r"\s+")
# A UTF-8 lead byte (C2-F4) read as latin-1/cp1252, then 1-3 continuation bytes (80-BF) read the same way.
_CP1252_CONT = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_CONT}]{{1,3}}")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'"})
_TOKEN = re.compile(r"xxurl|xxuser|[^\W_]+(?:'[^\W_]+)?|[!?]")
# the same tokens, plus each emoji (pictographs, dingbats, symbols) as a token of its own
_EMOJI = "\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF"
_EMOJI_CHAR = re.compile(f"[{_EMOJI}]")
_TOKEN_EMOJI = re.compile(f"xxurl|xxuser|[^\\W_]+(?:'[^\\W_]+)?|[!?]|[{_EMOJI}]")


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as latin-1 or cp1252 (``Ã©`` -> ``é``, ``â€™`` -> ``'``).

    Each suspicious run is repaired on its own, so real accented text beside it survives.
    """
    return _MOJIBAKE.sub(_repair, text)


def _repair(match: re.Match) -> str:
    run = match.group(0)
    for encoding in ("cp1252", "latin-1"):
        try:
            return run.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return run


def clean_text(text: str) -> str:
    """Normalise one raw tweet into the text every model sees."""
    text = fix_mojibake(text)
    text = html.unescape(html.unescape(text))  # the files hold some doubly escaped entities
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(f" {URL_TOKEN} ", text)
    text = _MENTION.sub(f" {USER_TOKEN} ", text)
    text = _HASHTAG.sub(r"\1", text)
    text = text.translate(_QUOTES).lower()
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def tokenize(cleaned: str) -> list[str]:
    """Split cleaned text into word tokens (keeps ``n't`` forms, ``!`` and ``?``)."""
    return _TOKEN.findall(cleaned)


def tokenize_with_emoji(cleaned: str) -> list[str]:
    """:func:`tokenize`, and each emoji as a token followed by the words of its Unicode name, so
    that a model trained on 2009 tweets without emoji still reads them through words it knows
    (``delayed 😡`` -> ``['delayed', '😡', 'pouting', 'face']``; ``👍`` -> ``thumbs up sign``)."""
    tokens = []
    for token in _TOKEN_EMOJI.findall(cleaned):
        tokens.append(token)
        if _EMOJI_CHAR.fullmatch(token):
            tokens += unicodedata.name(token, "").lower().split()
    return tokens
