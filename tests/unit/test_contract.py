"""The one input/output contract, checked on the validation code itself."""

import numpy as np
import pandas as pd
import pytest

from pyfunc.contract import MAX_TEXT_CHARS, InvalidInput, make_output, to_texts
from pyfunc.names import MAX_BATCH_ROWS


@pytest.mark.parametrize(
    "model_input",
    [pd.DataFrame({"text": ["a", "b"]}), ["a", "b"], pd.Series(["a", "b"]), {"text": ["a", "b"]},
     np.array(["a", "b"], dtype=object), pd.DataFrame({0: ["a", "b"]})],
)
def test_accepted_input_shapes(model_input):
    assert to_texts(model_input) == ["a", "b"]


@pytest.mark.parametrize(
    ("model_input", "message"),
    [
        (pd.DataFrame({"tweet": ["a"]}), "no 'text' column"),
        (pd.DataFrame({"text": [None]}), "missing (null) at row(s) 0"),
        (pd.DataFrame({"text": ["ok", float("nan")]}), "missing (null) at row(s) 1"),
        (pd.DataFrame({"text": ["ok", 5]}), "must be a string, got int at row(s) 1"),
        (pd.DataFrame({"text": ["   "]}), "is empty at row(s) 0"),
        (pd.DataFrame({"text": ["x" * (MAX_TEXT_CHARS + 1)]}), f"longer than {MAX_TEXT_CHARS}"),
        (pd.DataFrame({"text": []}), "no rows"),
        (42, "unsupported input type int"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(model_input, message):
    with pytest.raises(InvalidInput, match=None) as info:
        to_texts(model_input)
    assert message in str(info.value)


def test_a_python_call_has_no_row_limit():
    """The request row limit is the HTTP API's (pyfunc/serving.py), not the model's."""
    texts = ["a"] * (5 * MAX_BATCH_ROWS + 1)
    assert to_texts(pd.DataFrame({"text": texts})) == texts
    with pytest.raises(InvalidInput, match="row\\(s\\) 50000"):  # the other checks still hold
        to_texts(texts[:-1] + [""])


def test_many_bad_rows_are_summarised():
    with pytest.raises(InvalidInput) as info:
        to_texts([""] * 8)
    assert "0, 1, 2, 3, 4 (and 3 more)" in str(info.value)


def test_invalid_input_is_an_http_400_for_mlflow():
    assert InvalidInput("x").get_http_status_code() == 400


def test_output_labels_follow_the_threshold():
    out = make_output([0.1, 0.6, 0.35], threshold=0.35)
    assert out.columns.tolist() == ["label", "negative_probability"]
    assert out.label.tolist() == ["not_negative", "negative", "negative"]
