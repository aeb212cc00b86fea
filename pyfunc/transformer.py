"""A fine-tuned BERT-family encoder (Hugging Face ``transformers`` + ``torch``), served on CPU.

Artifacts: ``transformer`` (a directory written by ``save_pretrained``: tokenizer files, config
and the weights in float16 safetensors) and ``model_config`` (threshold, ``max_length``,
``quantization``). With ``quantization = "int8"`` the Linear layers are converted to dynamic int8
(``torch.ao.quantization.quantize_dynamic``) when the model loads; otherwise it runs in float32.
``torch_threads`` (when set) is the number of torch threads of the serving process.
Logit 1 is ``negative``. torch and transformers are imported only when the model loads.
"""

from __future__ import annotations

import numpy as np

from pyfunc.base import SentimentModel

WEIGHTS_ARTIFACT = "transformer"  # save_pretrained directory: tokenizer + config + weights
QUANTIZATIONS = ("fp32", "int8")


def load_encoder(path: str, quantization: str = "fp32", threads: int | None = None):
    """(tokenizer, model in eval mode) from a ``save_pretrained`` directory, offline."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    if threads:
        torch.set_num_threads(threads)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True, dtype=torch.float32)
    model.eval()
    if quantization == "int8":
        import warnings

        with warnings.catch_warnings():  # torch's note that eager quantization is moving to torchao
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return tokenizer, model


def negative_probability(tokenizer, model, cleaned: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """Probability of logit 1 (negative) for each cleaned text: batches of similar length (less
    padding), under ``torch.inference_mode``; results come back in the input order."""
    import torch

    order = np.argsort([len(t) for t in cleaned], kind="stable")
    out = np.empty(len(cleaned), dtype=np.float64)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            batch = tokenizer([cleaned[i] for i in index], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            logits = model(**batch).logits.float()
            out[index] = torch.softmax(logits, dim=-1)[:, 1].numpy()
    return out


class TransformerModel(SentimentModel):
    """The transformer approach: same preprocessing and contract as every model."""

    def load_artifacts(self, artifacts: dict[str, str]) -> None:
        self.max_length = int(self.config["max_length"])
        self.batch_size = int(self.config.get("inference_batch_size", 64))
        self.tokenizer, self.model = load_encoder(artifacts[WEIGHTS_ARTIFACT], self.config.get("quantization", "fp32"),
                                                  self.config.get("torch_threads"))

    def predict_proba(self, cleaned: list[str]):
        return negative_probability(self.tokenizer, self.model, cleaned, self.max_length, self.batch_size)
