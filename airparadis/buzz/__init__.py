"""The bad-buzz monitor's model side: in-process scoring with the registered model
(:mod:`.scoring`), the command's body (:mod:`.watch`) and the Spark job (:mod:`.spark`). The rule,
windows, detector and alert sinks live in :mod:`monitoring.buzz` (no mlflow there)."""
