"""Publish stage: render the documents in ``docs/`` from their templates and the measured figures.

Every number in the documents is a placeholder (``$deep_sts_test_accuracy_pct``) filled from
files that the project's own commands wrote from real runs:

- ``docs/results/comparison.json`` (``python -m entrypoints.report``): one row per approach,
  giving ``<approach>_<measure>``, e.g. ``$transformer_sts_test_roc_auc``, plus ``_pct`` forms of
  the quality measures (``$simple_test_accuracy_pct`` -> ``78.3%``);
- ``benchmarks/results/<name>.json``: ``<name>_<key>`` for each number, e.g.
  ``$serving_latency_deep_p99_ms`` (nested keys and list items joined by ``_``);
- ``docs/results/buzz_alerts.json`` (``python -m entrypoints.buzz --report``): ``buzz_alerts_<key>``, e.g.
  ``$buzz_alerts_totals_episode_days_alerted`` or ``$buzz_alerts_alerts_0_about_summary``; plus the
  alerts sorted by the day they were raised on (:func:`alerts_by_day`): ``buzz_alerts_episode_alerts_<i>_<key>``
  for alerts raised on an episode day (``$buzz_alerts_episode_alerts_0_about_summary``: the first alert of
  a real bad buzz) and ``buzz_alerts_false_alarms_<i>_<key>`` for alerts raised on a quiet day, each with
  its local ``day``;
- differences between two models, in points: ``gain_<a>_over_<b>_<split>_<measure>_pts`` (``+3.1``).
- the promotion gate's own settings (:mod:`airparadis.config`), in points of its metric:
  ``gate_promotion_margin_pts`` and ``gate_tolerated_loss_pts``, so a document states the rule the code applies;
  the misprediction alert's rule: ``alert_threshold``, ``alert_window_minutes``;
- the deployed model (the ``production`` row of the comparison) as ``deployed_<measure>`` too, and
  ``deployed_airline_correct_in_10`` (tweets judged correctly out of ten);
- the word-embedding sweep (``benchmarks/results/deep_sweep.json``): ``embedding_<kind>_accuracy_pct``
  (each embedding's best configuration, validation accuracy), ``embedding_winner``, ``embedding_spread_pts``;
- hosting costs (``data/hosting_prices.json``, which names its source and date): ``hosting_<plan>_eur_month``;
- the crisis told in hours (:mod:`airparadis.reporting.crisis`): ``crisis_<key>``; and
  the monitor's week in the client's terms (:func:`airparadis.reporting.crisis.summary`): ``week_<key>``;
  ``container_requests_per_day_millions`` (the F1 quota in millions of one-tweet requests).

Each template is rendered in its own language (``<name>.fr.md`` in French): dates in words, and in
French decimal commas and spaces (:mod:`airparadis.reporting.wording`).

Templates under ``docs/templates/`` are rendered to the same relative path under ``docs/``
(``decks/*.md`` -> ``docs/decks/*.md``); :mod:`airparadis.reporting.documents` then builds the
slides (HTML, PDF, PPTX) and the article's HTML from those rendered files.

A template that names a figure no file holds fails the command and lists what is missing, so a
document can never show a number that was not measured.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from airparadis import config
from airparadis.reporting import crisis, wording

TEMPLATES = config.ROOT / "docs" / "templates"
OUT = config.ROOT / "docs"
COMPARISON = config.ROOT / "docs" / "results" / "comparison.json"
BENCHMARKS = config.ROOT / "benchmarks" / "results"
BUZZ = config.ROOT / "docs" / "results" / "buzz_alerts.json"
PRICES = config.DATA_DIR / "hosting_prices.json"
SWEEP = BENCHMARKS / "deep_sweep.json"
QUALITY_SUFFIXES = ("accuracy", "f1_negative", "roc_auc", "pr_auc")


class FiguresMissing(LookupError):
    """A template names figures that no command measured; the message lists them."""

    def __str__(self) -> str:
        return self.args[0]


def _fmt(value, key: str = "") -> str:
    """Three decimals under 10 (trailing zeros dropped: 2.2, not 2.200), one under 1,000, none above;
    a size in megabytes (``*_mb``) to one decimal (5.3, not 5.349)."""
    if isinstance(value, float) and key.endswith("_mb"):
        return f"{value:.1f}"
    if isinstance(value, float):
        if abs(value) < 10:
            return f"{value:.3f}".rstrip("0").rstrip(".")
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def figures(comparison: Path = COMPARISON, benchmarks: Path = BENCHMARKS, buzz: Path = BUZZ,
            prices: Path = PRICES) -> dict[str, str]:
    """Every placeholder value the templates may use, as text (in English; :func:`render` localises)."""
    from monitoring.mispredictions.rule import AlertRule

    rule = AlertRule()
    values: dict[str, str] = {"gate_promotion_margin_pts": f"{100 * config.PROMOTION_MARGIN:g}",
                               "gate_tolerated_loss_pts": f"{100 * config.TOLERATED_LOSS:g}",
                               "alert_threshold": str(rule.threshold),
                               "alert_window_minutes": f"{rule.window.total_seconds() / 60:g}"}
    if comparison.exists():
        report = json.loads(comparison.read_text(encoding="utf-8"))
        values.update({f"report_{k}": _fmt(v) for k, v in report["meta"].items() if v is not None})
        rows = {row.get("key", row["approach"]): row for row in report["models"]}
        for name, row in rows.items():
            for key, value in row.items():
                values[f"{name}_{key}"] = _fmt(value, key)
                if key.endswith(QUALITY_SUFFIXES) and isinstance(value, float):
                    values[f"{name}_{key}_pct"] = f"{100 * value:.1f}%"
        values.update(gains(rows))
        deployed = next((name for name, row in rows.items() if row.get("production")), None)
        if deployed is not None:
            values.update({f"deployed_{k[len(deployed) + 1:]}": v for k, v in list(values.items())
                           if k.startswith(f"{deployed}_")})
            values["deployed_name"] = deployed
            values.update({k.replace(f"_over_{deployed}_", "_over_deployed_"): v for k, v in list(values.items())
                           if k.startswith("gain_") and f"_over_{deployed}_" in k})
            values["deployed_airline_correct_in_10"] = f"{round(10 * rows[deployed]['airline_accuracy'])}"
    for path in sorted(benchmarks.glob("*.json")) if benchmarks.exists() else []:
        for key, value in _flatten(json.loads(path.read_text(encoding="utf-8"))).items():
            values[f"{path.stem}_{key}"] = _fmt(value, key)
    quota = values.get("container_requests_per_day_in_f1_cpu_quota", "").replace(",", "")
    if quota.isdigit():
        values["container_requests_per_day_millions"] = f"{int(quota) / 1e6:.1f}"
    if (benchmarks / SWEEP.name).exists():
        values.update(embeddings(json.loads((benchmarks / SWEEP.name).read_text(encoding="utf-8"))))
    if prices.exists():
        values.update(hosting(json.loads(prices.read_text(encoding="utf-8"))))
    if buzz.exists():
        report = json.loads(buzz.read_text("utf-8"))
        told = crisis.crisis(report)
        values.update({f"crisis_{k}": _fmt(v) for k, v in (told.figures() if told else {}).items()})
        if told is not None:
            words = crisis.words(report, told)
            values["crisis_words_en"] = ", ".join(words) or "none"
            values["crisis_words_fr"] = " », « ".join(words) or "aucun"
        values.update({f"week_{k}": _fmt(v) for k, v in crisis.summary(report).items()})
        values.update({f"buzz_alerts_{k}": _fmt(v) for k, v in _flatten(report).items()})
        values.update({f"buzz_alerts_{k}": _fmt(v) for k, v in _flatten(alerts_by_day(report)).items()})
        # every quiet day alerted, however many: "Delta 2015-02-19, United 2015-02-20"
        values["buzz_alerts_false_alarm_days"] = ", ".join(report["totals"].get("false_alarm_days", [])) or "none"
    return values


def embeddings(sweep: dict) -> dict[str, str]:
    """The word-embedding comparison: each embedding's best configuration (by the sweep's own
    selection order, validation ROC AUC), its validation accuracy; the winner; the spread."""
    best: dict[str, dict] = {}
    for row in sorted(sweep.get("comparison", []), key=lambda r: -r["val_roc_auc"]):
        best.setdefault(row["embedding"], row)
    if not best:
        return {}
    out = {f"embedding_{k}_accuracy_pct": f"{100 * r['val_accuracy']:.1f}%" for k, r in best.items()}
    out |= {f"embedding_{k}_architecture": r["architecture"] for k, r in best.items()}
    accuracies = [r["val_accuracy"] for r in best.values()]
    out["embedding_winner"] = next(iter(best))
    out["embedding_count"] = str(len(best))
    out["embedding_spread_pts"] = f"{100 * (max(accuracies) - min(accuracies)):.1f}"
    return out


def monthly_eur(plan: dict, prices: dict) -> float:
    """A plan's price per month in euros: hourly list price x billed hours x the stated exchange rate."""
    return plan["usd_per_hour"] * prices["hours_per_month"] * prices["eur_per_usd"]


def hosting(prices: dict) -> dict[str, str]:
    out = {"hosting_as_known_on": prices["as_known_on"]}
    for plan in prices["plans"]:
        out[f"hosting_{plan['key']}_eur_month"] = f"{monthly_eur(plan, prices):.0f}"
        out[f"hosting_{plan['key']}_plan"] = plan["plan"]
        out[f"hosting_{plan['key']}_memory_gb"] = _fmt(plan["memory_gb"])
    return out


def localised(values: dict[str, str], lang: str) -> dict[str, str]:
    """``values`` as a document in ``lang`` writes them."""
    return {k: wording.localise(v, lang) for k, v in values.items()}


def language(template: Path) -> str:
    """``deck.fr.md`` -> ``fr``; English otherwise."""
    suffixes = template.name.split(".")
    return suffixes[-2] if len(suffixes) > 2 and suffixes[-2] in wording.MONTHS else "en"


def _offset(text: str) -> timezone:
    """``UTC-08:00`` (``str`` of a :class:`datetime.timezone`) back to that timezone; ``UTC`` is UTC."""
    if text in ("", "UTC"):
        return UTC
    sign = -1 if text[3] == "-" else 1
    hours, minutes = text[4:].split(":")[:2]
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def alerts_by_day(report: dict) -> dict[str, list[dict]]:
    """The bad-buzz report's alerts split by the day each was raised on, in the order raised:
    ``episode_alerts`` (raised on a day the human labels call an episode) and ``false_alarms`` (raised
    on a quiet day the rule could judge), each alert with its local ``day``. An alert belongs to the
    local day (``totals.utc_offset``) of its ``window_end``, as in ``monitoring.buzz.daily.measure``.
    Empty lists when the report has no labels (no day says ``episode``)."""
    tz = _offset(report.get("totals", {}).get("utc_offset", "UTC"))
    days = {(d["group"], d["day"]): d for d in report.get("days", [])}
    out: dict[str, list[dict]] = {"episode_alerts": [], "false_alarms": []}
    for alert in report.get("alerts", []):
        day = datetime.fromisoformat(alert["window_end"].replace("Z", "+00:00")).astimezone(tz).date().isoformat()
        verdict = days.get((alert["group"], day), {})
        if "episode" not in verdict:
            continue
        if verdict["episode"]:
            out["episode_alerts"].append({**alert, "day": day})
        elif verdict.get("judged"):
            out["false_alarms"].append({**alert, "day": day})
    return out


def gains(rows: dict[str, dict]) -> dict[str, str]:
    """``gain_<a>_over_<b>_<measure>_pts``: model a minus model b, in percentage points, signed."""
    out = {}
    for a, row_a in rows.items():
        for b, row_b in rows.items():
            for key, value in row_a.items() if a != b else ():
                if key.endswith(QUALITY_SUFFIXES) and isinstance(value, float) and isinstance(row_b.get(key), float):
                    out[f"gain_{a}_over_{b}_{key}_pts"] = f"{100 * (value - row_b[key]):+.1f}"
    return out


def _flatten(obj, prefix: str = "") -> dict:
    """Nested dicts and lists as one level: keys joined by ``_`` (``-``, ``.``, spaces become ``_``)."""
    out = {}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        name = f"{prefix}{key}".replace("-", "_").replace(".", "_").replace(" ", "_")
        if isinstance(value, (dict, list)):
            out.update(_flatten(value, name + "_"))
        elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
            out[name] = value
    return out


def placeholders(text: str) -> set[str]:
    """The figure names a template uses."""
    return {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(text)} - {None}


def render(templates: Path = TEMPLATES, out_dir: Path = OUT, values: dict[str, str] | None = None) -> list[Path]:
    """Render every ``*.md`` template (subfolders too, to the same relative path in ``out_dir``);
    raise :class:`FiguresMissing` naming all missing figures, before writing anything."""
    values = figures() if values is None else values
    sources = sorted(templates.rglob("*.md"))
    missing = {t.relative_to(templates).as_posix(): absent for t in sources
               if (absent := sorted(placeholders(t.read_text(encoding="utf-8")) - values.keys()))}
    if missing:
        listed = "; ".join(f"{t}: {', '.join(n)}" for t, n in missing.items())
        raise FiguresMissing(f"figures not measured yet: {listed}. Run `python -m entrypoints.report` and the "
                             "benchmarks first.")
    written = []
    for template in sources:
        name = template.relative_to(templates).as_posix()
        header = (f"<!-- Generated by `python -m entrypoints.publish` from docs/templates/{name} and the "
                  "measured figures (docs/results/, benchmarks/results/). Edit the template, not this file. -->\n")
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = string.Template(template.read_text(encoding="utf-8")).substitute(localised(values, language(template)))
        target.write_text(header + text,
                          encoding="utf-8")
        written.append(target)
    return written
