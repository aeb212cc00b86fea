"""Behavioural checks of a sentiment model (CheckList style), shared by every approach's tests.

Each takes ``predict``: a function from a list of raw tweets to negative probabilities.
"""

from __future__ import annotations

CLEARLY_NEGATIVE = [
    "I hate this airline, worst flight ever and they lost my bag",
    "Flight cancelled again. So angry and tired, never flying with them again",
    "my flight was delayed 5 hours and the staff was so rude. awful",
]
CLEARLY_POSITIVE = [
    "Thank you for the wonderful flight, the crew was amazing!",
    "Landed early, great service and lovely people on board. Love it",
    "Best holiday ever, such a beautiful trip! Thanks so much",
]
NEGATIONS = [  # (affirmative, negated): negation makes the tweet more negative
    ("The flight was good", "The flight was not good"),
    ("I am happy with the service", "I am not happy with the service"),
    ("I like this airline", "I don't like this airline"),
]
SARCASM = [  # a plain sentence, then the same with a sarcasm / complaint marker
    ("Great, another delay", "Great, another delay #fail"),
    ("what a great day", "what a great day #not"),
    ("just great", "just great... NOT"),
    ("thanks a lot", "thanks a lot for losing my bag"),
]
# Sarcasm with no marker word: bag-of-words models miss these (tests mark them as known failures).
SARCASM_UNMARKED = [
    ("Thanks for the service", "Thanks for nothing"),
    ("Great, another delay", "Great, another delay... yeah right"),
]
INVARIANT_PAIRS = [  # names and links must not matter
    ("@bob what a lovely flight", "@AirParadisCare what a lovely flight"),
    ("lost my bag again http://t.co/abc", "lost my bag again https://www.example.com/x?y=1"),
    ("@jane_doe worst delay ever www.foo.com", "@x worst delay ever bit.ly/zz"),
]
MENTION_URL_ADDED = [  # adding a mention or a link changes the probability only a little
    ("what a lovely flight", "@bob what a lovely flight http://t.co/abc"),
    ("worst delay ever", "worst delay ever @AirParadis"),
]
MAX_SHIFT = 0.15


def check_clear_cases(predict, threshold: float) -> None:
    neg = predict(CLEARLY_NEGATIVE)
    pos = predict(CLEARLY_POSITIVE)
    assert all(p >= threshold for p in neg), list(zip(CLEARLY_NEGATIVE, neg, strict=True))
    assert all(p < threshold for p in pos), list(zip(CLEARLY_POSITIVE, pos, strict=True))


def check_negation(predict) -> None:
    for plain, negated in NEGATIONS:
        p_plain, p_negated = predict([plain, negated])
        assert p_negated > p_plain, (plain, p_plain, negated, p_negated)


def check_sarcasm_markers(predict, pairs=SARCASM) -> None:
    for plain, marked in pairs:
        p_plain, p_marked = predict([plain, marked])
        assert p_marked > p_plain, (plain, p_plain, marked, p_marked)


def check_invariance(predict, bounded_shift: bool = True) -> None:
    """Exactly the same probability whichever name or link; with ``bounded_shift``, adding one
    moves it by less than ``MAX_SHIFT``."""
    for a, b in INVARIANT_PAIRS:
        p_a, p_b = predict([a, b])
        assert abs(p_a - p_b) < 1e-6, (a, p_a, b, p_b)
    for a, b in MENTION_URL_ADDED if bounded_shift else ():
        p_a, p_b = predict([a, b])
        assert abs(p_a - p_b) < MAX_SHIFT, (a, p_a, b, p_b)

# Hand-written tweets (not from any data set) for what Sentiment140 never showed a model: emoji,
# negation of negative words, and the airline complaints of the product's domain.
HANDWRITTEN_EMOJI = [  # (tweet, negative?)
    ("😡😡😡", True),
    ("Flight delayed again 😡", True),
    ("stuck at the gate for 3 hours 😤👎", True),
    ("Thank you for the upgrade 😊👍", False),
    ("Lovely crew on my flight today ❤️", False),
]
HANDWRITTEN_NEGATION = [  # (tweet, negative?)
    ("not bad at all, the crew was great", False),
    ("never again with this airline", True),
    ("I will never fly with you again", True),
]
# A negated complaint word reads as a complaint to the student (measured: 0.97 and 0.94 negative);
# kept as a strict expected failure, so a model that learns it flags the test.
HANDWRITTEN_NEGATION_KNOWN_MISSES = [
    ("no complaints, smooth flight", False),
    ("nothing went wrong, smooth flight", False),
]
HANDWRITTEN_AIRLINE_COMPLAINTS = [
    "3 hours on the tarmac and still no update from the crew",
    "lost my luggage and customer service hung up on me",
    "flight cancelled flightled again, rebooked for tomorrow night, unacceptable",
    "been on hold for 2 hours, nobody answers",
    "my bag is still in Chicago and I am in Miami",
]


def check_labelled(predict, threshold: float, cases) -> None:
    probabilities = predict([tweet for tweet, _ in cases])
    wrong = [(t, round(float(p), 3)) for (t, negative), p in zip(cases, probabilities, strict=True)
             if (p >= threshold) != negative]
    assert not wrong, wrong
