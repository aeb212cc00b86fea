"""Misprediction reports: the record (:mod:`.record`), the local store (:mod:`.store`), filing a
report (:mod:`.service`), the alert rule (:mod:`.rule`) and its embedded evaluator
(:mod:`.alerting`), the exporter of corrected labels (:mod:`.export`)."""
