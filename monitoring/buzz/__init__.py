"""The bad-buzz monitor: negative volume per group and time window against a same-group baseline.

* :mod:`.rule`: the rule, written once as data (window, baseline, test, threshold, minimum volume,
  cool-down), the test itself, and the Azure scheduled-query rule generated from it.
* :mod:`.detector`: the rule applied to one group's window counts (incremental; the Spark job
  calls the same class on its aggregated windows).
* :mod:`.about`: what a buzz is about (terms, hashtags, complaint reasons that rose, three tweets).
* :mod:`.monitor`: the stream: time windows per group, alerts, the series the UI draws.
* :mod:`.stream`: reading CSV / JSON lines / standard input, replayed in time order.
* :mod:`.scoring`: scoring through the prediction API (in process: ``airparadis.buzz.scoring``).
* :mod:`.sinks`: where alerts go (JSON lines, Application Insights, mail).
* :mod:`.checkpoint`: the monitor's state saved atomically and resumed after a restart.
* :mod:`.gaps`: feed gaps (hours the feed stalled), reported and not scored as quiet.
* :mod:`.daily`: the alerts per group and day as a table, chart and JSON (``buzz --report``).
* :mod:`.command`: the ``buzz`` command's body (``entrypoints/buzz.py`` hands it the scorer).

Nothing here imports mlflow or training code (``tests/unit/test_layers.py``).
"""
