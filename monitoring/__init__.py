"""What happens after a prediction, with no training packages (no mlflow, no airparadis):

* :mod:`.mispredictions`: the misprediction reports of the front-end (record, local store,
  Application Insights, the alert rule and its embedded evaluator, the exporter);
* :mod:`.buzz`: the bad-buzz monitor on tweet streams (rule, detector, stream, "about", sinks,
  daily table, the ``buzz`` command's body);
* shared by both: the settings (:mod:`.config`, :mod:`.env`), Application Insights
  (:mod:`.azure`), the SMTP mail (:mod:`.mail`) and the base of the two alert rules
  (:mod:`.alert_rule`: the Azure scheduled-query rule, its file, ISO 8601 durations).
"""
