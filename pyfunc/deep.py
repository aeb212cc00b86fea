"""Keras word-embedding network, served as a TensorFlow Lite file run by LiteRT (``ai-edge-litert``).

No TensorFlow here: the served model needs only the serving requirements. The vocabulary is an
artifact of the model (JSON), so the tokenizer used at serving is exactly the one used in training:
``pyfunc.preprocess.tokenize`` on cleaned text, each token mapped to its index (``0`` = padding,
``1`` = out of vocabulary), truncated or padded at the end to the model's fixed sequence length.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from pyfunc.base import SentimentModel
from pyfunc.preprocess import tokenize

TFLITE_ARTIFACT = "tflite_model"  # the .tflite file (builtin ops, dynamic-range quantised)
VOCABULARY_ARTIFACT = "vocabulary"  # JSON: {"tokens": [...], "sequence_length": int}
PAD_INDEX = 0
OOV_INDEX = 1
RESERVED = ("<pad>", "<oov>")  # the first two entries of every vocabulary


def load_vocabulary(path: str) -> tuple[dict[str, int], int]:
    """Read a vocabulary artifact: (token -> index, sequence length)."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    tokens = spec["tokens"]
    if tuple(tokens[: len(RESERVED)]) != RESERVED:
        raise ValueError(f"{path}: a vocabulary starts with {RESERVED}")
    return {t: i for i, t in enumerate(tokens)}, int(spec["sequence_length"])


def encode(cleaned: list[str], index: dict[str, int], sequence_length: int) -> np.ndarray:
    """Token indices of cleaned texts, shape ``(len(cleaned), sequence_length)``, int32."""
    out = np.full((len(cleaned), sequence_length), PAD_INDEX, dtype=np.int32)
    for row, text in enumerate(cleaned):
        ids = [index.get(token, OOV_INDEX) for token in tokenize(text)[:sequence_length]]
        out[row, : len(ids)] = ids
    return out


class TFLiteRunner:
    """A LiteRT interpreter for a model with one int32 input ``(batch, sequence_length)`` and one
    output ``(batch, 1)``: the probability of the negative class. Thread-safe (one lock)."""

    def __init__(self, path: str, threads: int = 1, chunk: int = 512):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=threads)
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.chunk = chunk
        self.batch = None
        self.lock = threading.Lock()

    def predict(self, encoded: np.ndarray) -> np.ndarray:
        encoded = np.ascontiguousarray(encoded, dtype=np.int32)
        parts = [self._invoke(encoded[i : i + self.chunk]) for i in range(0, len(encoded), self.chunk)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            if self.batch != batch.shape:
                self.interpreter.resize_tensor_input(self.input, list(batch.shape))
                self.interpreter.allocate_tensors()
                self.batch = batch.shape
            self.interpreter.set_tensor(self.input, batch)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output).reshape(-1).copy()


class DeepModel(SentimentModel):
    """The deployed deep model: cleaned text -> vocabulary indices -> TFLite network."""

    def load_artifacts(self, artifacts: dict[str, str]) -> None:
        self.index, self.sequence_length = load_vocabulary(artifacts[VOCABULARY_ARTIFACT])
        self.runner = TFLiteRunner(artifacts[TFLITE_ARTIFACT], threads=int(self.config.get("tflite_threads", 1)))

    def predict_proba(self, cleaned: list[str]):
        return self.runner.predict(encode(cleaned, self.index, self.sequence_length))
