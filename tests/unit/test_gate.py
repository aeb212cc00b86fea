"""The promotion gate's pure decision: the airline judge slice weighs as much as Sentiment140."""

import pytest

from airparadis.release.promote import SHOWN, Assessment, decide, table


def assessment(version=2, f1=0.80, airline_f1=0.80, size=3.0, p99=2.0, heavy=()):
    """A version as the gate measured it; ``airline_f1=None``: one never judged on the airline slice."""
    airline = None if airline_f1 is None else {"f1_negative": airline_f1, "roc_auc": 0.9}
    return Assessment(version, "deep", {"f1_negative": f1, "roc_auc": 0.9}, size, p99, list(heavy), airline=airline)


def test_a_candidate_that_wins_on_validation_but_loses_on_airline_tweets_is_refused():
    decision = decide(assessment(f1=0.85, airline_f1=0.70), assessment(version=1), margin=0.005, tolerated=0.01)
    assert not decision.promote
    assert any(r.startswith("validation f1_negative 0.8500") and "beats the margin" in r for r in decision.reasons)
    assert any(r.startswith("airline judge f1_negative 0.7000") and "loses more than the tolerated 0.01" in r
               for r in decision.reasons)


def test_a_small_airline_loss_within_the_tolerance_is_accepted_and_both_lines_are_given():
    decision = decide(assessment(f1=0.85, airline_f1=0.795), assessment(version=1), margin=0.005, tolerated=0.01)
    assert decision.promote and len(decision.reasons) == 2 and "within the margin" in decision.reasons[1]


def test_winning_the_airline_tweets_without_losing_validation_is_promoted():
    decision = decide(assessment(f1=0.8002, airline_f1=0.90), assessment(version=1), margin=0.005)
    assert decision.promote and "beats the margin" in decision.reasons[1]


def test_winning_on_airline_tweets_does_not_excuse_losing_on_validation():
    decision = decide(assessment(f1=0.78, airline_f1=0.95), assessment(version=1), margin=0.005)
    assert not decision.promote and "loses more than the tolerated" in decision.reasons[0]


def test_winning_nowhere_is_refused():
    decision = decide(assessment(f1=0.802, airline_f1=0.801), assessment(version=1), margin=0.005)
    assert not decision.promote and all("within the margin" in r for r in decision.reasons)


def test_the_printed_table_shows_every_quality_measure_on_both_sets_for_both_versions():
    full = {m: 0.5 + i / 100 for i, m in enumerate(SHOWN)}
    candidate = Assessment(3, "deep", dict(full), 5.25, 2.0, [], airline={**full, "brier": 0.137})
    production = Assessment(1, "simple", dict(full), 2.98, 1.4, ["torch"], airline=None)
    shown = table(candidate, production)
    assert list(shown.columns) == ["candidate v3 (deep)", "production v1 (simple)"]
    assert shown.loc[("airline judge", "brier"), "candidate v3 (deep)"] == 0.137
    assert shown.loc[("validation", "pr_auc"), "production v1 (simple)"] == full["pr_auc"]
    assert shown.loc[("airline judge", "accuracy")].isna().tolist() == [False, True]  # production not judged there
    assert shown.loc[("budget", "heavy deps")].tolist() == ["-", "torch"]
    assert {s for s, _ in shown.index} == {"validation", "airline judge", "budget"}


def test_first_candidate_within_budget_is_promoted():
    decision = decide(assessment(airline_f1=None), None, margin=0.005)
    assert decision.promote and "no production version" in decision.reasons[0]


def test_candidate_must_beat_production_by_the_margin():
    production = assessment(version=1, airline_f1=None)
    assert decide(assessment(f1=0.806, airline_f1=None), production, margin=0.005).promote
    refused = decide(assessment(f1=0.804, airline_f1=None), production, margin=0.005)
    assert not refused.promote and "within the margin 0.005" in refused.reasons[0]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"size": 400.0}, "size 400.0 MB"), ({"p99": 500.0}, "p99 500.0 ms"), ({"heavy": ["torch"]}, "needs torch")],
)
def test_a_better_model_over_budget_is_refused(kwargs, reason):
    production = assessment(version=1, airline_f1=None)
    decision = decide(assessment(f1=0.95, airline_f1=None, **kwargs), production, margin=0.005)
    assert not decision.promote and any(reason in r for r in decision.reasons)
