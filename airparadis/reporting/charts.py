"""Every chart of the project, drawn from the measured rows, in one style.

One palette for every chart: each model keeps its colour everywhere, the deployed model (the row
with ``production: true`` in ``comparison.json``, else the ``student``) is drawn in the accent colour;
every axis is labelled with its unit.

* The charts of the decks and the article exist in English and in French (``<name>_en.png``,
  ``<name>_fr.png``) so a deck never mixes languages; the deployed model is named "deployed":

      python -m entrypoints.publish     # draws them (into docs/results/charts/) before rendering docs/

* The comparison's own charts (``comparison_quality.png``, ``comparison_cost.png``,
  ``comparison_curves.png``, beside ``comparison.md``), drawn by the ``report`` stage
  (:func:`draw_comparison`), name each model as the comparison's tables do.
"""

from __future__ import annotations

import json
from pathlib import Path

from airparadis import config
from airparadis.reporting import measures

OUT = config.ROOT / "docs" / "results" / "charts"
LANGS = ("en", "fr")
ACCENT, INK, MUTED, GRID = "#C8102E", "#1F2A44", "#9AA5B1", "#E3E8EE"
# one colour per model, the same in every chart (the deployed one is redrawn in ACCENT)
COLOURS = {"simple": "#9AA5B1", "simple_feedback": "#5F6B7A", "deep": "#C9B79C", "student": "#E8A0A9",
           "student_feedback": "#8E3B46", "transformer": "#2F5D8A"}
NAMES = {
    "en": {"simple": "Simple (word counts)", "simple_feedback": "Simple + feedback",
           "deep": "First neural model (words only)",
           "student": "Compact neural model", "student_feedback": "Compact + feedback",
           "transformer": "BERT-type (MiniLM)"},
    "fr": {"simple": "Simple (comptage de mots)", "simple_feedback": "Simple + retours",
           "deep": "Premier réseau (mots seuls)",
           "student": "Réseau neuronal compact", "student_feedback": "Compact + retours",
           "transformer": "Type BERT (MiniLM)"},
}
TEXT = {
    "en": {"deployed": "deployed", "accuracy": "tweets judged correctly (%)", "f1_negative":
           "negative tweets caught: F1 (%)", "airline": "Airline tweets, 21-24 Feb 2015",
           "validation": "Sentiment140 validation", "test": "Sentiment140 test", "sts_test": "STS-Test (hand-labelled)",
           "split_title": "Accuracy on each test set", "split_axis": "accuracy (%)",
           "size": "model size (MB)", "latency": "time for one tweet (ms, median)",
           "throughput": "tweets per second, in bulk", "cost_title": "What each model costs to run (lower is "
           "cheaper, except throughput)", "quality_title": "higher is better",
           "before": "without feedback", "after": "with airline feedback", "feedback_axis": "accuracy on the "
           "airline tweets (%)", "feedback_title": "What field feedback adds",
           "buzz_title": "Negative tweets per day, February 2015", "buzz_axis": "negative tweets per day "
           "(model's count)", "alert": "bad-buzz alert", "false_alarm": "false alarm\n(quiet day)",
           "day": "day (February 2015)"},
    "fr": {"deployed": "déployé", "accuracy": "tweets bien jugés (%)", "f1_negative":
           "tweets négatifs repérés : F1 (%)", "airline": "Tweets aériens, 21-24 févr. 2015",
           "validation": "Sentiment140 validation", "test": "Sentiment140 test",
           "sts_test": "STS-Test (annoté à la main)",
           "split_title": "Exactitude sur chaque jeu de test", "split_axis": "exactitude (%)",
           "size": "taille du modèle (Mo)", "latency": "temps pour un tweet (ms, médiane)",
           "throughput": "tweets par seconde, en lot", "cost_title": "Ce que coûte chaque modèle (plus bas = moins "
           "cher, sauf le débit)", "quality_title": "plus haut = mieux",
           "before": "sans retours", "after": "avec les retours aériens", "feedback_axis": "exactitude sur les "
           "tweets aériens (%)", "feedback_title": "Ce qu'apportent les retours du terrain",
           "buzz_title": "Tweets négatifs par jour, février 2015", "buzz_axis": "tweets négatifs par jour "
           "(compte du modèle)", "alert": "alerte bad buzz", "false_alarm": "fausse alerte\n(jour calme)",
           "day": "jour (février 2015)"},
}
PIPELINE = {
    "en": ("data\nsplits as artifacts", "train\nsimple · student · BERT", "track\nruns, metrics, data",
           "registry\none name, versions", "gate\nbetter and deployable?", "serve\nAPI on Azure",
           "monitor\nreports, bad buzz", "feedback\nretrain on corrections"),
    "fr": ("données\ndécoupage archivé", "entraîner\nsimple · compact · BERT", "tracer\nruns, métriques, données",
           "registre\nun nom, des versions", "contrôle\nmeilleur et déployable ?", "servir\nAPI sur Azure",
           "surveiller\nsignalements, bad buzz", "retours\nréentraîner sur les corrections"),
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 12, "axes.edgecolor": MUTED,
                         "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "axes.titleweight": "bold",
                         "axes.titlecolor": INK, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def deployed_key(rows: list[dict]) -> str:
    """The deployed model's key: the production row, else the student."""
    return next((r["key"] for r in rows if r.get("production")), "student")


def _name(row: dict, lang: str, deployed: str) -> str:
    name = NAMES[lang].get(row["key"], row["key"])
    return f"{name} ({TEXT[lang]['deployed']})" if row["key"] == deployed else name


def _colour(key: str, deployed: str) -> str:
    return ACCENT if key == deployed else COLOURS.get(key, MUTED)


def _hbars(ax, rows, values, lang, deployed, label, fmt):
    bars = ax.barh(range(len(rows)), values, color=[_colour(r["key"], deployed) for r in rows])
    ax.bar_label(bars, labels=[fmt(v) for v in values], padding=4, color=INK)
    ax.set_yticks(range(len(rows)), [_name(r, lang, deployed) for r in rows])
    for tick, r in zip(ax.get_yticklabels(), rows, strict=False):  # none on a shared axis
        tick.set_fontweight("bold" if r["key"] == deployed else "normal")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(label)
    ax.grid(axis="x", color=GRID)
    ax.set_axisbelow(True)


def airline_quality(rows: list[dict], lang: str):
    plt = _plt()
    deployed, t = deployed_key(rows), TEXT[lang]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    for ax, metric in zip(axes, ("accuracy", "f1_negative"), strict=True):
        values = [100 * r[f"airline_{metric}"] for r in rows]
        _hbars(ax, rows, values, lang, deployed, t[metric], lambda v: f"{v:.1f}%")
        ax.set_xlim(max(0, min(values) - 15), 100)
    fig.suptitle(f"{t['airline']}: {t['quality_title']}", color=INK, fontweight="bold")
    fig.tight_layout()
    return fig


def quality_by_split(rows: list[dict], lang: str):
    import numpy as np

    plt = _plt()
    deployed, t = deployed_key(rows), TEXT[lang]
    splits = measures.SPLIT_NAMES
    fig, ax = plt.subplots(figsize=(12, 4.8))
    width = 0.8 / len(rows)
    for i, r in enumerate(rows):
        values = [100 * r[f"{s}_accuracy"] for s in splits]
        bars = ax.bar(np.arange(len(splits)) + i * width, values, width, label=_name(r, lang, deployed),
                      color=_colour(r["key"], deployed), edgecolor=INK if r["key"] == deployed else "none")
        ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=2, color=INK)
    ax.set_xticks(np.arange(len(splits)) + width * (len(rows) - 1) / 2, [t[s] for s in splits])
    low = min(100 * r[f"{s}_accuracy"] for r in rows for s in splits)
    ax.set_ylim(max(0, low - 10), 100)
    ax.set_ylabel(t["split_axis"])
    ax.set_title(t["split_title"])
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", fontsize=9, ncols=3, frameon=False)
    fig.tight_layout()
    return fig


def cost(rows: list[dict], lang: str):
    plt = _plt()
    deployed, t = deployed_key(rows), TEXT[lang]
    # one row per model family: the deployed one where it is of that family, else the one without feedback
    kept = [r for r in rows if r["key"] == deployed or (not r["key"].endswith("_feedback")
                                                         and f"{r['key']}_feedback" != deployed)]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
    for ax, (key, label, fmt) in zip(axes, (("model_size_mb", t["size"], "{:.1f}"),
                                            ("latency_single_ms_p50", t["latency"], "{:.2f}"),
                                            ("batch_tweets_per_second", t["throughput"], "{:,.0f}")), strict=True):
        values = [r[key] for r in kept]
        _hbars(ax, kept, values, lang, deployed, label, fmt.format)
        ax.set_xlim(0, max(values) * 1.35)
        ax.xaxis.set_major_locator(plt.MaxNLocator(3))
    fig.suptitle(t["cost_title"], color=INK, fontweight="bold")
    fig.tight_layout()
    return fig


def feedback(rows: list[dict], lang: str):

    plt = _plt()
    deployed, t = deployed_key(rows), TEXT[lang]
    by_key = {r["key"]: r for r in rows}
    pairs = [(k, f"{k}_feedback") for k in ("simple", "student") if k in by_key and f"{k}_feedback" in by_key]
    fig, ax = plt.subplots(figsize=(9, 4.4))
    for i, (before, after) in enumerate(pairs):
        for j, key in enumerate((before, after)):
            value = 100 * by_key[key]["airline_accuracy"]
            bar = ax.bar(i + (j - 0.5) * 0.38, value, 0.36, color=_colour(key, deployed),
                         label=t["after" if j else "before"] if i == 0 else None,
                         hatch="" if j == 0 else "//", edgecolor=INK if key == deployed else "white")
            ax.bar_label(bar, labels=[f"{value:.1f}%"], padding=3, color=INK)
    ax.set_xticks(range(len(pairs)), [NAMES[lang][before] for before, _ in pairs])
    low = min(100 * by_key[k]["airline_accuracy"] for pair in pairs for k in pair) if pairs else 50
    ax.set_ylim(max(0, low - 12), 100)
    ax.set_ylabel(t["feedback_axis"])
    ax.set_title(t["feedback_title"])
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def buzz_storm(buzz: dict, lang: str):
    import datetime as dt

    plt = _plt()
    t = TEXT[lang]
    palette = ["#2F5D8A", "#5F6B7A", "#D9A441", "#6A8E4E"]  # airlines; the alerts in ACCENT
    fig, ax = plt.subplots(figsize=(12, 4.6))
    groups = sorted({d["group"] for d in buzz["days"]})
    for colour, group in zip(palette * 3, groups, strict=False):
        days = [d for d in buzz["days"] if d["group"] == group and d["hours"] >= 20]  # whole days only
        x = [dt.date.fromisoformat(d["day"]) for d in days]
        ax.plot(x, [d["negatives"] for d in days], "o-", color=colour, label=group, lw=2)
        for d in days:
            if d["alerts"]:
                false_alarm = d.get("episode") is False  # labelled report: a quiet day with an alert
                colour = INK if false_alarm else ACCENT
                ax.annotate(t["false_alarm" if false_alarm else "alert"], (dt.date.fromisoformat(d["day"]),
                            d["negatives"]), xytext=(0, 14), textcoords="offset points", ha="center",
                            color=colour, fontweight="bold", fontsize=10)
                ax.plot(dt.date.fromisoformat(d["day"]), d["negatives"], "*", ms=20, zorder=5, color=colour,
                        markerfacecolor="white" if false_alarm else colour, markeredgewidth=2)
    ax.xaxis.set_major_formatter(plt.matplotlib.dates.DateFormatter("%d"))
    ax.set_xlabel(t["day"])
    ax.set_ylabel(t["buzz_axis"])
    ax.set_title(t["buzz_title"])
    ax.grid(color=GRID)
    ax.set_axisbelow(True)
    ax.legend(frameon=False, ncols=len(groups), loc="upper left")
    top = max(d["negatives"] for d in buzz["days"])
    ax.set_ylim(0, top * 1.25)
    fig.tight_layout()
    return fig


def pipeline(lang: str):
    """The MLOps pipeline as boxes and arrows: a loop from data to feedback, back to data."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    plt = _plt()
    steps = PIPELINE[lang]
    fig, ax = plt.subplots(figsize=(12, 4.6))
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 2)
    ax.axis("off")
    places = [(i + 0.5, 1.5) for i in range(4)] + [(3.5 - i, 0.5) for i in range(4)]
    for i, ((x, y), label) in enumerate(zip(places, steps, strict=True)):
        accent = i in (4, 5)  # the gate and serving: where the deployed model is chosen and runs
        ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle="round,pad=0.02,rounding_size=0.06",
                                    fc=ACCENT if accent else "#F3F5F8", ec=ACCENT if accent else MUTED, lw=1.5))
        title, detail = label.split("\n")
        ax.text(x, y + 0.09, title, ha="center", va="center", fontsize=15, fontweight="bold",
                color="white" if accent else INK)
        ax.text(x, y - 0.12, detail, ha="center", va="center", fontsize=10.5, color="white" if accent else INK)
    for (x0, y0), (x1, y1) in zip(places, places[1:] + places[:1], strict=True):
        if y0 == y1:
            start, end = (x0 + 0.44 * (1 if x1 > x0 else -1), y0), (x1 - 0.44 * (1 if x1 > x0 else -1), y1)
        else:
            start, end = (x0 + (0.3 if x0 > 3 else -0.3), y0 - 0.32 if y0 > y1 else y0 + 0.32), \
                         (x1 + (0.3 if x1 > 3 else -0.3), y1 + 0.32 if y0 > y1 else y1 - 0.32)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, color=INK, lw=1.6,
                                     connectionstyle="arc3,rad=-0.5" if y0 != y1 else "arc3"))
    fig.tight_layout()
    return fig


def comparison_quality(rows: list[dict]):
    """Every quality measure of the comparison on every set, one bar per model."""
    import numpy as np

    plt = _plt()
    deployed, splits = deployed_key(rows), measures.SPLIT_NAMES
    fig, axes = plt.subplots(1, len(measures.QUALITY), figsize=(4.5 * len(measures.QUALITY), 4), sharey=False)
    width = 0.8 / max(len(rows), 1)
    for ax, metric in zip(axes, measures.QUALITY, strict=True):
        for i, r in enumerate(rows):
            values = [r[f"{s}_{metric}"] for s in splits]
            bars = ax.bar(np.arange(len(splits)) + i * width, values, width, label=r["name"],
                          color=_colour(r["key"], deployed), edgecolor=INK if r["key"] == deployed else "none")
            ax.bar_label(bars, fmt="%.3f", fontsize=7, rotation=90, padding=2, color=INK)
        ax.set_xticks(np.arange(len(splits)) + width * (len(rows) - 1) / 2, splits)
        low = min(min(r[f"{s}_{metric}"] for s in splits) for r in rows) if rows else 0
        ax.set_ylim(max(0.0, low - 0.1), 1.0)
        ax.set_title(measures.LABELS[metric], fontsize=10)
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Quality on the same splits (higher is better)", color=INK, fontweight="bold")
    fig.tight_layout()
    return fig


def comparison_cost(rows: list[dict]):
    """Size, training time, single-tweet latency and throughput of every model of the comparison."""
    import numpy as np

    plt = _plt()
    deployed = deployed_key(rows)
    keys = ("model_size_mb", "training_seconds", "latency_single_ms_p50", "batch_tweets_per_second")
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 4))
    names = [r["name"].replace(" (", "\n(").replace(" + ", "\n+ ") for r in rows]
    for ax, key in zip(axes, keys, strict=True):
        values = [r.get(key, np.nan) for r in rows]
        bars = ax.bar(names, values, color=[_colour(r["key"], deployed) for r in rows])
        ax.bar_label(bars, labels=[measures.fmt(v) for v in values], fontsize=8, color=INK)
        ax.tick_params(axis="x", labelsize=8)
        if key != "batch_tweets_per_second":
            ax.set_yscale("log")
        ax.set_title(measures.LABELS[key] + (" (higher is better)" if key == "batch_tweets_per_second" else ""),
                     fontsize=10)
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
    fig.suptitle("Cost (log scale except throughput)", color=INK, fontweight="bold")
    fig.tight_layout()
    return fig


def comparison_curves(rows: list[dict], curves: dict[str, dict]):
    """Accuracy against training steps of every model that logged a learning curve (keyed by its name)."""
    plt = _plt()
    deployed, keys = deployed_key(rows), {r["name"]: r["key"] for r in rows}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, curve in curves.items():
        points, colour = curve["points"], _colour(keys.get(name, ""), deployed)
        steps = [p["step"] for p in points]
        ax.plot(steps, [p["curve_sts_test_accuracy"] for p in points], "o-", color=colour, label=f"{name}: STS-Test")
        ax.plot(steps, [p["curve_validation_subset_accuracy"] for p in points], "s--", color=colour, alpha=0.6,
                label=f"{name}: validation subset")
    ax.set(xlabel="training step", ylabel="accuracy", title="Accuracy against training steps")
    ax.grid(color=GRID)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_comparison(rows: list[dict], curves: dict[str, dict], out: Path) -> list[Path]:
    """The comparison's charts into ``out`` (the curves only when a model logged one); the files written."""
    plt = _plt()
    figures = [("comparison_quality.png", comparison_quality(rows)), ("comparison_cost.png", comparison_cost(rows))]
    if curves:
        figures.append(("comparison_curves.png", comparison_curves(rows, curves)))
    written = []
    for name, fig in figures:
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(out / name)
    return written


def draw(comparison: Path, buzz: Path, out: Path = OUT) -> list[Path]:
    """Every chart in both languages, from the measured files that exist; returns the files written."""
    plt = _plt()
    out.mkdir(parents=True, exist_ok=True)
    charts = []
    rows = json.loads(comparison.read_text(encoding="utf-8"))["models"] if comparison.exists() else []
    if rows and all("key" in r for r in rows):
        charts += [("airline_quality", airline_quality, rows), ("quality_by_split", quality_by_split, rows),
                   ("cost", cost, rows), ("feedback", feedback, rows)]
    if buzz.exists():
        charts.append(("buzz_storm", buzz_storm, json.loads(buzz.read_text(encoding="utf-8"))))
    written = []
    for lang in LANGS:
        figures = [(name, fn(data, lang)) for name, fn, data in charts] + [("pipeline", pipeline(lang))]
        for name, fig in figures:
            path = out / f"{name}_{lang}.png"
            fig.savefig(path, dpi=120, facecolor="white")
            plt.close(fig)
            written.append(path)
    return written
