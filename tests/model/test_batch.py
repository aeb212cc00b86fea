"""A loaded model has no row limit: the request cap belongs to the HTTP layer only."""

import pandas as pd
import pytest

from pyfunc.names import MAX_BATCH_ROWS
from tests.behaviour import CLEARLY_NEGATIVE, CLEARLY_POSITIVE


@pytest.mark.slow
def test_a_loaded_model_scores_50000_texts_in_one_call(simple_model):
    """A batch job or a Spark UDF scores a day of tweets in one predict call, as it would in chunks."""
    base = CLEARLY_NEGATIVE + CLEARLY_POSITIVE
    texts = pd.DataFrame({"text": [f"{base[i % len(base)]} #{i}" for i in range(50_000)]})
    whole = simple_model.predict(texts)
    chunks = [simple_model.predict(texts[i:i + MAX_BATCH_ROWS].reset_index(drop=True))
              for i in range(0, len(texts), MAX_BATCH_ROWS)]
    assert len(whole) == 50_000 and whole.index.tolist() == list(range(50_000))
    assert whole.label.tolist() == pd.concat(chunks).label.tolist()
    assert set(whole.label) == {"negative", "not_negative"}
