"""The promotion gate's pure decision: the airline judge slice guards the product's domain."""

from airparadis.release.gate import Assessment, decide


def assessment(version=2, f1=0.80, airline_f1=0.80):
    return Assessment(version, "deep", {"f1_negative": f1, "roc_auc": 0.9}, 3.0, 2.0, [],
                      airline={"f1_negative": airline_f1, "roc_auc": 0.9})


def test_a_candidate_that_wins_on_validation_but_loses_on_airline_tweets_is_refused():
    decision = decide(assessment(f1=0.85, airline_f1=0.70), assessment(version=1), margin=0.005, airline_margin=0.01)
    assert not decision.promote
    assert any(r.startswith("validation f1_negative 0.8500") and "beats" in r for r in decision.reasons)
    assert any(r.startswith("airline judge f1_negative 0.7000") and "loses more than the margin" in r
               for r in decision.reasons)


def test_a_small_airline_loss_within_the_margin_is_accepted_and_both_lines_are_given():
    decision = decide(assessment(f1=0.85, airline_f1=0.795), assessment(version=1), margin=0.005, airline_margin=0.01)
    assert decision.promote and len(decision.reasons) == 2 and "stays within the margin" in decision.reasons[1]


def test_winning_on_airline_tweets_does_not_excuse_losing_on_validation():
    decision = decide(assessment(f1=0.79, airline_f1=0.95), assessment(version=1), margin=0.005)
    assert not decision.promote and "does not beat the margin" in decision.reasons[0]
