"""The product's shared names and limits, written once.

Standard library only: the front-end (``ui/``) and ``monitoring/`` import this module without
mlflow, numpy or pandas, and it travels inside every model with the rest of ``pyfunc/``.
"""

# --- the registry ---------------------------------------------------------------------------
MODEL_NAME = "air-paradis-sentiment"  # the product's one registered model (default of the setting)
PRODUCTION_ALIAS = "production"  # the alias that selects the deployed version
APPROACH_TAG = "approach"  # version tag: which approach trained it
APPROACHES = ("simple", "deep", "transformer")

# --- the model contract ---------------------------------------------------------------------
TEXT_COLUMN = "text"  # model input: a DataFrame column of strings
LABEL_COLUMN = "label"
PROBABILITY_COLUMN = "negative_probability"
LABEL_NEGATIVE = "negative"
LABEL_NOT_NEGATIVE = "not_negative"
LABELS = (LABEL_NEGATIVE, LABEL_NOT_NEGATIVE)
MAX_TEXT_CHARS = 5_000  # one text, once stripped: 1 to this many characters

# --- the HTTP API (pyfunc/serving.py); a Python call of the model has no row limit -----------
MAX_BATCH_ROWS = 10_000  # rows in one request
# A full batch of MAX_BATCH_ROWS tweets of 280 characters is about 3.2 MB of JSON, so it fits.
MAX_BODY_BYTES = 5 * 1024 * 1024
# Which model answered: every answer of the hardened API carries these headers, and GET VERSION_PATH
# gives the served model's metadata (name, version, run, approach) as JSON.
MODEL_NAME_HEADER = "X-Model-Name"
MODEL_VERSION_HEADER = "X-Model-Version"
VERSION_PATH = "/version"
INVOCATIONS_PATH = "/invocations"  # POST: the predictions (MLflow's scoring path)
PING_PATH = "/ping"  # GET: the health check
UNREGISTERED = "unregistered"  # the version told for a model served from a path, not from the registry
# The key a client sends (apiclient/: the front-end, the bad-buzz monitor, the smoke check) comes from
# this variable; the API's own keys are pyfunc.access.API_KEYS.
API_KEY_ENV = "AIRPARADIS_API_KEY"

# --- events ---------------------------------------------------------------------------------
MISPREDICTION_EVENT = "misprediction"  # the custom event / report name shared with the alert rule
BAD_BUZZ_EVENT = "bad_buzz"

# --- local ports (all on 127.0.0.1 by default) -------------------------------------------------
LOCAL_HOST = "127.0.0.1"
MLFLOW_UI_PORT = 5000
API_PORT = 5001
UI_PORT = 7860
