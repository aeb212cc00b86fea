"""What a buzz is about: the terms, hashtags and complaint reasons that rose most in the alert
window against the baseline windows, and three representative tweets.

Terms come from the negative tweets only; @mentions, URLs, numbers and common words are left out.
Complaint reasons are found by a small keyword lexicon (the reasons airline customers give).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN = re.compile(r"#\w+|[a-z][a-z']+")
STOPWORDS = frozenset("""
a about after again all am an and any are as at be been before being but by can can't could did didn't do does
don't for from get got had has have having he her here him his how i i'm if in into is isn't it it's its just
me my no not now of on one or our out over so some than that that's the their them then there they this to too
up us was wasn't we what when where which who why will with would you your you're im ive dont cant thanks thank
please amp via rt http https co t still just going really back need like know how
""".split())
# complaint reason -> words that say it (stems are matched as prefixes)
REASONS: dict[str, tuple[str, ...]] = {
    "cancelled flight": ("cancel", "canceled", "cancelled", "flightled"),
    "late flight": ("delay", "late", "wait", "hours", "stuck", "tarmac", "missed", "connection"),
    "lost luggage": ("bag", "luggage", "lost", "baggage", "suitcase"),
    "customer service": ("hold", "service", "phone", "call", "agent", "rude", "customer", "help", "response"),
    "booking problems": ("book", "reservation", "ticket", "rebook", "change", "fee", "refund", "website"),
    "bad flight": ("seat", "wifi", "entertainment", "food", "crew", "attendant", "dirty", "broken"),
}
TOP_TERMS, TOP_HASHTAGS, TOP_REASONS, TWEETS = 5, 3, 2, 3


def terms(text: str) -> list[str]:
    text = re.sub(r"https?://\S+|@\w+", " ", text.lower())
    return [t for t in TOKEN.findall(text) if t not in STOPWORDS and len(t) > 2]


def reasons(tokens: Iterable[str]) -> set[str]:
    found = set()
    for token in tokens:
        word = token.lstrip("#")
        for reason, stems in REASONS.items():
            if any(word.startswith(s) for s in stems):
                found.add(reason)
    return found


@dataclass
class WindowTerms:
    """Term, hashtag and reason counts of one window's negative tweets (kept for the baseline)."""

    words: Counter
    reasons: Counter

    @classmethod
    def of(cls, texts: Iterable[str]) -> WindowTerms:
        words, why = Counter(), Counter()
        for text in texts:
            tokens = set(terms(text))
            words.update(tokens)
            why.update(reasons(tokens))
        return cls(words, why)

    @classmethod
    def merge(cls, parts: Iterable[WindowTerms | None]) -> WindowTerms:
        """The counts of several buckets as one window (missing buckets count nothing)."""
        words, why = Counter(), Counter()
        for part in parts:
            if part is not None:
                words.update(part.words)
                why.update(part.reasons)
        return cls(words, why)


def _rising(now: Counter, before: list[Counter], top: int, keep=lambda k: True, min_count: int = 2) -> list[dict]:
    n = max(len(before), 1)
    rows = []
    for key, count in now.items():
        if count < min_count or not keep(key):
            continue
        expected = sum(c.get(key, 0) for c in before) / n
        lift = (count + 1) / (expected + 1)
        if lift > 1:
            rows.append((count * math.log(lift), key, count, round(expected, 2)))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return [{"term": key, "count": count, "baseline": expected} for _, key, count, expected in rows[:top]]


def summarize(tweets: list[tuple[str, float]], baseline: list[WindowTerms]) -> dict:
    """``tweets``: (text, negative probability) of the window's negative tweets, in arrival order;
    ``baseline``: the baseline windows' :class:`WindowTerms`. -> the alert's ``about``."""
    now = WindowTerms.of(t for t, _ in tweets)
    top_terms = _rising(now.words, [b.words for b in baseline], TOP_TERMS, keep=lambda k: not k.startswith("#"))
    hashtags = _rising(now.words, [b.words for b in baseline], TOP_HASHTAGS, keep=lambda k: k.startswith("#"))
    why = _rising(now.reasons, [b.reasons for b in baseline], TOP_REASONS, min_count=1)
    key_terms = {r["term"] for r in top_terms + hashtags}

    def weight(item):
        index, (text, probability) = item
        return (-len(key_terms & set(terms(text))), -round(probability, 6), index)

    chosen, seen = [], set()
    for _, (text, _p) in sorted(enumerate(tweets), key=weight):
        if text not in seen:
            chosen.append(text)
            seen.add(text)
        if len(chosen) == TWEETS:
            break
    headline = ", ".join([r["term"] for r in why] + [r["term"] for r in top_terms[:3]]
                         + [r["term"] for r in hashtags[:1]])
    return {"summary": headline, "reasons": [{"reason": r["term"], "count": r["count"], "baseline": r["baseline"]}
                                             for r in why],
            "terms": top_terms, "hashtags": hashtags, "tweets": chosen}
