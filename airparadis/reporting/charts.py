"""Every chart of the project, drawn from the measured rows, in one style.

One palette for every chart: each model keeps its colour everywhere, the deployed model (the row
with ``production: true`` in ``comparison.json``, else the ``student``) is drawn in the accent colour;
every value axis starts at zero and is labelled with its unit.

* The charts of the decks and the article are :class:`Chart` objects first, their data and words
  in English and French: each is drawn to ``<name>_<lang>.png`` and written as ``<name>_<lang>.json``
  beside it, from which :mod:`airparadis.reporting.documents` builds an *editable* PowerPoint chart
  (the same data, not a picture) and the source line under the figure:

      python -m entrypoints.publish     # draws them (into docs/results/charts/) before rendering docs/

* The comparison's own charts (``comparison_quality.png``, ``comparison_cost.png``,
  ``comparison_curves.png``, beside ``comparison.md``), drawn by the ``report`` stage
  (:func:`draw_comparison`), name each model as the comparison's tables do.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from airparadis import config
from airparadis.reporting import crisis, measures, wording

OUT = config.ROOT / "docs" / "results" / "charts"
LANGS = ("en", "fr")
ACCENT, INK, MUTED, GRID = "#C8102E", "#1F2A44", "#9AA5B1", "#E3E8EE"
# one colour per model, the same in every chart (the deployed one is redrawn in ACCENT)
COLOURS = {"simple": "#9AA5B1", "simple_feedback": "#5F6B7A", "deep": "#C9B79C", "student": "#E8A0A9",
           "student_feedback": "#8E3B46", "transformer": "#2F5D8A"}
NAMES = {
    "en": {"simple": "Simple (word counts)", "simple_feedback": "Simple + feedback",
           "deep": "First network (word vectors)",
           "student": "Compact network", "student_feedback": "Compact + feedback",
           "transformer": "BERT-type (MiniLM)"},
    "fr": {"simple": "Simple (comptage de mots)", "simple_feedback": "Simple + retours",
           "deep": "Premier réseau (vecteurs de mots)",
           "student": "Réseau compact", "student_feedback": "Compact + retours",
           "transformer": "Type BERT (MiniLM)"},
}
EMBEDDINGS = {
    "en": {"fasttext": "fastText (learned on our tweets, reads pieces of words)",
           "word2vec": "word2vec (learned on our tweets)", "glove": "GloVe (learned beforehand on Wikipedia)",
           "scratch": "none (learned by the network alone)"},
    "fr": {"fasttext": "fastText (appris sur nos tweets, lit les morceaux de mots)",
           "word2vec": "word2vec (appris sur nos tweets)", "glove": "GloVe (appris d'avance sur Wikipédia)",
           "scratch": "aucun (appris par le réseau seul)"},
}
TEXT = {
    "en": {"deployed": "deployed", "airline_title": "Airline tweets judged correctly (21-24 February 2015)",
           "airline_axis": "tweets judged correctly (%)",
           "airline": "Airline tweets", "validation": "Sentiment140 validation", "test": "Sentiment140 test",
           "sts_test": "Hand-labelled 2009 tweets",
           "split_title": "Tweets judged correctly, on each test set", "split_axis": "tweets judged correctly (%)",
           "before": "without feedback", "after": "with airline feedback",
           "feedback_title": "What field feedback adds", "feedback_axis": "airline tweets judged correctly (%)",
           "embedding_title": "Word vectors compared for the first network",
           "embedding_axis": "validation tweets judged correctly (%)", "kept": "kept",
           "hosting_title": "Hosting cost per month", "hosting_axis": "euros per month",
           "crisis_title": "{group}, {day}: negative tweets per hour", "crisis_axis": "negative tweets per hour",
           "hour": "hour of the day (local time)", "negatives": "negative tweets", "usual": "usual level",
           "alert": "alert", "peak": "peak",
           "source": "Source", "comparison": "model comparison (docs/results/comparison.json), measured on {date}",
           "sweep": "word-vector sweep (benchmarks/results/deep_sweep.json)",
           "prices": "Azure list prices as known on {date}, to be checked (data/hosting_prices.json)",
           "crisis": "airline tweets labelled by people; alert and peak from the bad-buzz monitor "
                     "(docs/results/buzz_alerts.json)",
           "pipeline": "this project's commands (MLproject)"},
    "fr": {"deployed": "déployé", "airline_title": "Tweets aériens bien jugés (21-24 février 2015)",
           "airline_axis": "tweets bien jugés (%)",
           "airline": "Tweets aériens", "validation": "Sentiment140 validation", "test": "Sentiment140 test",
           "sts_test": "Tweets de 2009 annotés à la main",
           "split_title": "Tweets bien jugés, sur chaque jeu de test", "split_axis": "tweets bien jugés (%)",
           "before": "sans retours", "after": "avec les retours aériens",
           "feedback_title": "Ce qu'apportent les retours du terrain", "feedback_axis": "tweets aériens bien jugés (%)",
           "embedding_title": "Vecteurs de mots comparés pour le premier réseau",
           "embedding_axis": "tweets de validation bien jugés (%)", "kept": "retenu",
           "hosting_title": "Coût d'hébergement par mois", "hosting_axis": "euros par mois",
           "crisis_title": "{group}, {day} : tweets négatifs par heure", "crisis_axis": "tweets négatifs par heure",
           "hour": "heure de la journée (heure locale)", "negatives": "tweets négatifs", "usual": "niveau habituel",
           "alert": "alerte", "peak": "pic",
           "source": "Source",
           "comparison": "comparaison des modèles (docs/results/comparison.json), mesurée le {date}",
           "sweep": "comparaison des vecteurs de mots (benchmarks/results/deep_sweep.json)",
           "prices": "prix publics Azure connus au {date}, à vérifier (data/hosting_prices.json)",
           "crisis": "tweets aériens annotés par des personnes ; alerte et pic du moniteur de bad buzz "
                     "(docs/results/buzz_alerts.json)",
           "pipeline": "les commandes de ce projet (MLproject)"},
}
PLANS = {"en": {"f1": "F1, free\n(deployed model)", "b1": "B1, basic", "p0v3": "P0v3, premium\n(what BERT needs)"},
         "fr": {"f1": "F1, gratuit\n(modèle déployé)", "b1": "B1, basique",
                "p0v3": "P0v3, premium\n(ce qu'il faut à BERT)"}}
PIPELINE = {
    "en": ("data\nsplits as artifacts", "train\nsimple · student · BERT", "track\nruns, metrics, data",
           "registry\none name, versions", "gate\nbetter and deployable?", "serve\nAPI on Azure",
           "monitor\nreports, bad buzz", "feedback\nretrain on corrections"),
    "fr": ("données\ndécoupage archivé", "entraîner\nsimple · compact · BERT", "tracer\nruns, métriques, données",
           "registre\nun nom, des versions", "contrôle\nmeilleur et déployable ?", "servir\nAPI sur Azure",
           "surveiller\nsignalements, bad buzz", "retours\nréentraîner sur les corrections"),
}


@dataclass
class Chart:
    """A chart as data: what the PNG is drawn from and what the PPTX rebuilds as a native chart.

    ``kind``: ``bar`` (vertical), ``barh`` (horizontal) or ``line``; ``series``: (name, values), one
    value per category (None: no point); ``highlight``: the category drawn in the accent colour (the
    deployed model); ``marks``: (category index, label) pointed at on a line chart (the label says when)."""

    name: str
    kind: str
    title: str
    categories: list[str]
    series: list[tuple[str, list]]
    axis: str
    source: str
    lang: str
    unit: str = ""
    decimals: int = 1
    highlight: int | None = None
    marks: list[tuple[int, str]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 13, "axes.edgecolor": MUTED,
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


def _source(lang: str, what: str, **kw) -> str:
    return wording.localise(f"{TEXT[lang]['source']}{' :' if lang == 'fr' else ':'} {TEXT[lang][what].format(**kw)}",
                            lang)


def airline_quality(rows: list[dict], lang: str, measured_on: str = "") -> Chart:
    deployed, t = deployed_key(rows), TEXT[lang]
    return Chart("airline_quality", "barh", wording.localise(t["airline_title"], lang),
                 [_name(r, lang, deployed) for r in rows],
                 [(t["airline_axis"], [round(100 * r["airline_accuracy"], 1) for r in rows])], t["airline_axis"],
                 _source(lang, "comparison", date=measured_on), lang, unit="%",
                 highlight=next((i for i, r in enumerate(rows) if r["key"] == deployed), None))


def quality_by_split(rows: list[dict], lang: str, measured_on: str = "") -> Chart:
    deployed, t = deployed_key(rows), TEXT[lang]
    return Chart("quality_by_split", "bar", t["split_title"], [t[s] for s in measures.SPLIT_NAMES],
                 [(_name(r, lang, deployed), [round(100 * r[f"{s}_accuracy"], 1) for s in measures.SPLIT_NAMES])
                  for r in rows], t["split_axis"], _source(lang, "comparison", date=measured_on), lang, unit="%")


def feedback(rows: list[dict], lang: str, measured_on: str = "") -> Chart:
    t, by_key = TEXT[lang], {r["key"]: r for r in rows}
    pairs = [k for k in ("simple", "student") if k in by_key and f"{k}_feedback" in by_key]
    return Chart("feedback", "bar", t["feedback_title"], [NAMES[lang][k] for k in pairs],
                 [(t["before"], [round(100 * by_key[k]["airline_accuracy"], 1) for k in pairs]),
                  (t["after"], [round(100 * by_key[f"{k}_feedback"]["airline_accuracy"], 1) for k in pairs])],
                 t["feedback_axis"], _source(lang, "comparison", date=measured_on), lang, unit="%")


def embeddings(sweep: dict, lang: str) -> Chart:
    """Each word-vector kind at its best configuration (the sweep's selection order), the kept one first."""
    t, best = TEXT[lang], {}
    for row in sorted(sweep["comparison"], key=lambda r: -r["val_roc_auc"]):
        best.setdefault(row["embedding"], row)
    names = [EMBEDDINGS[lang].get(k, k) + (f" ({t['kept']})" if i == 0 else "") for i, k in enumerate(best)]
    return Chart("embeddings", "barh", t["embedding_title"], names,
                 [(t["embedding_axis"], [round(100 * r["val_accuracy"], 1) for r in best.values()])],
                 t["embedding_axis"], _source(lang, "sweep"), lang, unit="%", highlight=0)


def hosting(prices: dict, lang: str) -> Chart:
    from airparadis.reporting.publish import monthly_eur

    t = TEXT[lang]
    return Chart("hosting", "bar", t["hosting_title"], [PLANS[lang].get(p["key"], p["plan"]) for p in prices["plans"]],
                 [(t["hosting_axis"], [round(monthly_eur(p, prices)) for p in prices["plans"]])], t["hosting_axis"],
                 _source(lang, "prices", date=prices["as_known_on"]), lang, unit=" €", decimals=0, highlight=0)


def crisis_hours(told: crisis.Crisis, lang: str) -> Chart:
    t = TEXT[lang]
    hours = [f"{h} h" if lang == "fr" else f"{h:02d}:00" for h in crisis.HOURS]
    title = t["crisis_title"].format(group=told.group, day=told.day.isoformat())
    return Chart("crisis", "line", wording.localise(title, lang),
                 hours, [(t["negatives"], told.negatives), (t["usual"], [round(u, 1) for u in told.usual])],
                 t["crisis_axis"], _source(lang, "crisis"), lang, decimals=0,
                 marks=[(told.alert.hour, f"{t['alert']}\n{wording.localise(f'{told.alert:%H:%M}', lang)}"),
                        (told.peak.hour, f"{t['peak']}\n{wording.localise(f'{told.peak:%H:%M}', lang)}")])


def draw_chart(chart: Chart):
    """The matplotlib figure of a :class:`Chart` (value axis from zero, the highlight in the accent)."""
    import numpy as np

    plt = _plt()
    fig, ax = plt.subplots(figsize=(12, 5.2))
    n, label = len(chart.series), (lambda v: wording.number(v, chart.lang, chart.decimals, chart.unit))
    palette = [INK, MUTED, "#2F5D8A", "#D9A441", "#6A8E4E", "#8E3B46"] if n > 1 else [MUTED]
    positions = np.arange(len(chart.categories))
    if chart.kind == "line":
        for (name, values), colour, style in zip(chart.series, [ACCENT, MUTED], ["o-", "--"], strict=False):
            ax.plot(positions, values, style, color=colour, lw=2.5, label=name)
        top = max(v for _, values in chart.series for v in values if v is not None)
        for x, text in chart.marks:
            value = chart.series[0][1][x]
            ax.annotate(text, (x, value), xytext=(0, 28), textcoords="offset points",
                        ha="center", color=ACCENT if x == chart.marks[0][0] else INK, fontweight="bold",
                        arrowprops={"arrowstyle": "-|>", "color": INK})
        ax.set_xticks(positions[::2], chart.categories[::2])
        ax.set_ylim(0, top * 1.35)
        ax.set_ylabel(chart.axis)
        ax.legend(frameon=False, loc="upper left")
        ax.grid(axis="y", color=GRID)
    else:
        width = 0.8 / n
        for i, ((name, values), colour) in enumerate(zip(chart.series, palette, strict=False)):
            colours = [ACCENT if j == chart.highlight else colour for j in range(len(values))]
            offset = positions + (i - (n - 1) / 2) * width
            bars = (ax.barh(offset, values, width, color=colours, label=name) if chart.kind == "barh"
                    else ax.bar(offset, values, width, color=colours, label=name))
            ax.bar_label(bars, labels=[label(v) for v in values], padding=3, color=INK, fontsize=12 if n < 4 else 9)
        top = max(v for _, values in chart.series for v in values)
        if chart.kind == "barh":
            ax.set_yticks(positions, chart.categories)
            ax.set_ylim(len(chart.categories) - 0.5, -0.5)
            ax.set_xlim(0, max(top, 1) * 1.18)
            ax.set_xlabel(chart.axis)
            ax.grid(axis="x", color=GRID)
            ticks = ax.get_yticklabels()
        else:
            ax.set_xticks(positions, chart.categories)
            ax.set_ylim(0, max(top, 1) * 1.18)
            ax.set_ylabel(chart.axis)
            ax.grid(axis="y", color=GRID)
            ticks = ax.get_xticklabels()
        if chart.highlight is not None:
            ticks[chart.highlight].set_fontweight("bold")
        if n > 1:
            ax.legend(frameon=False, loc="lower left" if chart.kind == "barh" else "upper left",
                      ncols=min(n, 3), fontsize=10, bbox_to_anchor=(0, 1.0) if chart.kind == "bar" else None)
    ax.set_axisbelow(True)
    ax.set_title(chart.title)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: wording.number(v, chart.lang, 0))) \
        if chart.kind == "barh" else ax.yaxis.set_major_formatter(plt.FuncFormatter(
            lambda v, _: wording.number(v, chart.lang, 0)))
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
        ax.set_ylim(0.0, 1.0)  # every bar from zero
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
    """Against training steps, for every model that logged a learning curve (keyed by its name):
    accuracy at the curve's fixed threshold (left) and ROC AUC, which needs no threshold, on the
    validation subset, STS-Test and the held-out airline feedback (right)."""
    plt = _plt()
    deployed, keys = deployed_key(rows), {r["name"]: r["key"] for r in rows}
    fig, (ax, auc) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, curve in curves.items():
        points, colour = curve["points"], _colour(keys.get(name, ""), deployed)
        steps = [p["step"] for p in points]
        ax.plot(steps, [p["curve_sts_test_accuracy"] for p in points], "o-", color=colour, label=f"{name}: STS-Test")
        ax.plot(steps, [p["curve_validation_subset_accuracy"] for p in points], "s--", color=colour, alpha=0.6,
                label=f"{name}: validation subset")
        for (metric, where), style in zip(measures.CURVE_AUC.items(), ("s--", "o-", "^:"), strict=True):
            auc.plot(steps, [p.get(metric, float("nan")) for p in points], style, color=colour, label=where)
    ax.set(xlabel="training step", ylabel="accuracy", title="Accuracy against training steps")
    auc.set(xlabel="training step", ylabel="ROC AUC", title="ROC AUC (needs no threshold)")
    for a in (ax, auc):
        a.grid(color=GRID)
        a.set_axisbelow(True)
        a.legend(fontsize=8)
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


def charts(comparison: Path, buzz: Path, sweep: Path, prices: Path, lang: str) -> list[Chart]:
    """Every chart of the documents in ``lang``, from the measured files that exist."""
    out = []
    report = json.loads(comparison.read_text(encoding="utf-8")) if comparison.exists() else {"models": []}
    rows, measured_on = report["models"], report.get("meta", {}).get("generated_at", "")
    if rows and all("key" in r for r in rows):
        out += [fn(rows, lang, measured_on) for fn in (airline_quality, quality_by_split, feedback)]
    if sweep.exists():
        out.append(embeddings(json.loads(sweep.read_text(encoding="utf-8")), lang))
    if prices.exists():
        out.append(hosting(json.loads(prices.read_text(encoding="utf-8")), lang))
    told = crisis.crisis(json.loads(buzz.read_text(encoding="utf-8"))) if buzz.exists() else None
    if told is not None:
        out.append(crisis_hours(told, lang))
    return out


def draw(comparison: Path, buzz: Path, out: Path = OUT, sweep: Path | None = None, prices: Path | None = None
         ) -> list[Path]:
    """Every chart in both languages (``<name>_<lang>.png`` and its data, ``.json``); the files written.
    The pipeline is a diagram, not data: a picture, with its source in its ``.json``."""
    from airparadis.reporting import publish

    plt = _plt()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in LANGS:
        for chart in charts(comparison, buzz, sweep or publish.SWEEP, prices or publish.PRICES, lang):
            fig = draw_chart(chart)
            written += _save(plt, fig, out / f"{chart.name}_{lang}", chart.to_json())
        written += _save(plt, pipeline(lang), out / f"pipeline_{lang}",
                         json.dumps({"kind": "picture", "source": _source(lang, "pipeline")}, ensure_ascii=False))
    return written


def _save(plt, fig, stem: Path, data: str) -> list[Path]:
    fig.savefig(stem.with_suffix(".png"), dpi=120, facecolor="white")
    plt.close(fig)
    stem.with_suffix(".json").write_text(data + "\n", encoding="utf-8")
    return [stem.with_suffix(".png"), stem.with_suffix(".json")]
