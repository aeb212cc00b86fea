"""The bad-buzz monitor's MLflow side: in-process scoring with the registered model
(:mod:`.scoring`) and the Spark job (:mod:`.spark`). The rule, windows, detector, alert sinks and
the ``buzz`` command's body live in :mod:`monitoring.buzz` (no mlflow there)."""
