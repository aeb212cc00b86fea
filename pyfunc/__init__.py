"""Code that travels inside every logged model (MLflow ``code_paths``).

Nothing here imports from ``entrypoints/`` or needs a training-only package: a served model
only has what its own ``requirements.txt`` lists. Heavy libraries (scikit-learn, LiteRT,
torch) are imported lazily, in the model class that needs them.
"""

from pyfunc.contract import (  # noqa: F401
    LABEL_NEGATIVE,
    LABEL_NOT_NEGATIVE,
    MAX_BATCH_ROWS,
    MAX_TEXT_CHARS,
    InvalidInput,
    make_output,
    to_texts,
)
from pyfunc.preprocess import clean_text, tokenize  # noqa: F401
