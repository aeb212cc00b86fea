"""What a buzz is about, from the words alone: the terms, bigrams and hashtags of the window's
negative tweets that rose against the group's own vocabulary of the previous days, and three
representative tweets.

A word is ranked by its log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and
Quinn, 2008, "Fightin' Words"): the window's counts against the baseline's, smoothed by the two
together as background, divided by its standard error, so a word that rose in *share* ranks
high, a word as common as usual (the brand, the query) does not, and rare words do not win by
noise. Counted once per tweet. Left out: @handles, URLs, numbers, common words, the group's own
name (``group``), the query words (``exclude``) and any word in at least ``QUERY_SHARE`` of the
baseline's tweets (what the stream was collected by). No domain lexicon: a bus company's storm
reads in its own words. A labelled reason (a third element of a tweet, from a configured column)
is summed as ``reasons`` only where there is one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

TOKEN = re.compile(r"#\w+|[a-z][a-z']+")
STOPWORDS = frozenset("""
a about after again all am an and any are as at be been before being but by can can't could did didn't do does
don't for from get got had has have having he her here him his how i i'm if in into is isn't it it's its just
me my no not now of on one or our out over so some than that that's the their them then there they this to too
up us was wasn't we what when where which who why will with would you your you're im ive dont cant thanks thank
please amp via rt http https co t still going really back need like know
""".split())
TOP_TERMS, TOP_HASHTAGS, TWEETS = 5, 3, 3
PRIOR = 50.0  # the Dirichlet prior's strength, in tweets of background
MIN_Z, MIN_COUNT, QUERY_SHARE = 1.96, 3, 0.5


def terms(text: str, leave_out: frozenset = frozenset()) -> list[str]:
    """Words and hashtags of a text, in order, without handles, URLs, common words and ``leave_out``."""
    text = re.sub(r"https?://\S+|@\w+", " ", text.lower())
    return [t for t in TOKEN.findall(text) if t not in STOPWORDS and len(t) > 2 and t.lstrip("#") not in leave_out]


def features(text: str, leave_out: frozenset = frozenset()) -> set[str]:
    """The words, hashtags and bigrams (two neighbouring kept words) a tweet counts once."""
    words = terms(text, leave_out)
    plain = [w for w in words if not w.startswith("#")]
    return set(words) | {f"{a} {b}" for a, b in zip(plain, plain[1:], strict=False) if a != b}


def own_words(*names: str) -> frozenset:
    """The words of a group's name and query words, as they appear in text and hashtags."""
    words = {w for name in names for w in re.findall(r"[a-z0-9']+", name.lower())}
    return frozenset(words | {"".join(re.findall(r"[a-z0-9']+", name.lower())) for name in names if name})


@dataclass
class WindowTerms:
    """Counts of one window's negative tweets: per feature (once a tweet), tweets, labelled reasons."""

    words: Counter
    tweets: int = 0
    reasons: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, texts: Iterable[str], reasons: Iterable[str] = ()) -> WindowTerms:
        words, n = Counter(), 0
        for text in texts:
            words.update(features(text))
            n += 1
        return cls(words, n, Counter(r for r in reasons if r))

    @classmethod
    def merge(cls, parts: Iterable[WindowTerms | None]) -> WindowTerms:
        """The counts of several buckets as one window (missing buckets count nothing)."""
        words, n, why = Counter(), 0, Counter()
        for part in parts:
            if part is not None:
                words.update(part.words)
                n += part.tweets
                why.update(part.reasons)
        return cls(words, n, why)


def log_odds(now: Counter, n_now: int, before: Counter, n_before: int) -> dict[str, float]:
    """z-score of the log-odds ratio of each feature of ``now`` against ``before`` (informative
    Dirichlet prior from both together, Monroe et al. 2008 eq. 22); counts are tweets holding it."""
    total = n_now + n_before
    out = {}
    for key, y_i in now.items():
        y_j = before.get(key, 0)
        alpha = PRIOR * (y_i + y_j) / max(total, 1)
        a_i = min(y_i + alpha, n_now + PRIOR - 1e-9)
        a_j = min(y_j + alpha, n_before + PRIOR - 1e-9)
        delta = math.log(a_i / (n_now + PRIOR - a_i)) - math.log(a_j / (n_before + PRIOR - a_j))
        out[key] = delta / math.sqrt(1 / a_i + 1 / a_j)
    return out


def _rising(now: WindowTerms, before: WindowTerms, leave_out: frozenset, hashtags: bool, top: int) -> list[dict]:
    z = log_odds(now.words, now.tweets, before.words, before.tweets)
    common = {k for k, c in before.words.items() if before.tweets and c >= QUERY_SHARE * before.tweets}
    rows = []
    for key, score in z.items():
        parts = key.split()
        if (key.startswith("#") != hashtags or now.words[key] < MIN_COUNT or score < MIN_Z or key in common
                or any(p.lstrip("#") in leave_out or p in common for p in parts)):
            continue
        rows.append((-score, key))
    rows.sort()
    chosen: list[dict] = []
    covered: set[str] = set()
    for neg, key in rows:
        words = set(key.split())
        if words <= covered:  # a word already said by a chosen bigram, or a bigram of chosen words
            continue
        covered |= words
        chosen.append({"term": key, "count": now.words[key], "baseline": before.words.get(key, 0),
                       "z": round(-neg, 2)})
        if len(chosen) == top:
            break
    return chosen


def summarize(tweets: list[tuple], baseline: list[WindowTerms], group: str = "", exclude: Iterable[str] = ()
              ) -> dict:
    """``tweets``: (text, negative probability[, labelled reason]) of the window's negative tweets,
    in arrival order; ``baseline``: the group's :class:`WindowTerms` before the window; ``group``
    and ``exclude``: words never named. -> the alert's ``about``."""
    leave_out = own_words(group, *exclude)
    texts = [t[0] for t in tweets]
    labelled = [t[2] for t in tweets if len(t) > 2 and t[2]]
    now = WindowTerms.of(texts, labelled)
    before = WindowTerms.merge(baseline)
    top_terms = _rising(now, before, leave_out, False, TOP_TERMS)
    hashtags = _rising(now, before, leave_out, True, TOP_HASHTAGS)
    key_words = {w for r in top_terms + hashtags for w in r["term"].split()}

    def weight(item):
        index, tweet = item
        return (-len(key_words & set(terms(tweet[0], leave_out))), -round(tweet[1], 6), index)

    chosen, seen = [], set()
    for _, tweet in sorted(enumerate(tweets), key=weight):
        if tweet[0] not in seen:
            chosen.append(tweet[0])
            seen.add(tweet[0])
        if len(chosen) == TWEETS:
            break
    about = {"summary": ", ".join([r["term"] for r in top_terms[:3]] + [r["term"] for r in hashtags[:1]]),
             "terms": top_terms, "hashtags": hashtags, "tweets": chosen}
    if labelled:
        about["reasons"] = [{"reason": r, "count": c, "baseline": before.reasons.get(r, 0)}
                            for r, c in now.reasons.most_common(2)]
    return about
