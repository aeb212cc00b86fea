"""Keras word-embedding network, served as a TensorFlow Lite file run by LiteRT (``ai-edge-litert``).

No TensorFlow here: the served model needs only the serving requirements. The vocabulary is an
artifact of the model (JSON), so the tokenizer used at serving is exactly the one used in training:
``pyfunc.preprocess.tokenize`` on cleaned text, each token mapped to its index (``0`` = padding,
``1`` = out of vocabulary), truncated or padded at the end to the model's fixed sequence length;
a distilled student also reads emoji and hashed character n-grams (:class:`Encoder`).
"""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import dataclass

import numpy as np

from pyfunc.base import SentimentModel
from pyfunc.preprocess import tokenize, tokenize_with_emoji

TFLITE_ARTIFACT = "tflite_model"  # the .tflite file (builtin ops, dynamic-range quantised)
VOCABULARY_ARTIFACT = "vocabulary"  # JSON: {"tokens": [...], "sequence_length": int}
PAD_INDEX = 0
OOV_INDEX = 1
RESERVED = ("<pad>", "<oov>")  # the first two entries of every vocabulary


def load_vocabulary(path: str) -> tuple[dict[str, int], int]:
    """Read a vocabulary artifact: (token -> index, sequence length)."""
    encoder = Encoder.load(path)
    return encoder.index, encoder.sequence_length


def encode(cleaned: list[str], index: dict[str, int], sequence_length: int) -> np.ndarray:
    """Token indices of cleaned texts, shape ``(len(cleaned), sequence_length)``, int32."""
    return Encoder(index, sequence_length).encode(cleaned)


def subwords(token: str, sizes: tuple[int, ...] = (3, 4)) -> list[str]:
    """Character n-grams of a token with boundary marks (fastText): ``<de``, ``del``, ..., ``ed>``;
    a token shorter than the n-gram is one subword (``<😡>``)."""
    marked = f"<{token}>"
    grams = [marked[i:i + n] for n in sizes for i in range(len(marked) - n + 1)]
    return grams or [marked]


@dataclass
class Encoder:
    """Cleaned text -> one int32 row: ``sequence_length`` word ids (``0`` padding, ``1`` unknown),
    then, when ``subword_buckets`` is set, ``subword_length`` ids of the words' character n-grams
    hashed (CRC-32) into ``subword_buckets`` ids after the vocabulary: a word never seen in training
    still shares n-grams with words that were (``cancelation`` / ``cancellation``). ``emoji``: each
    emoji is a token too."""

    index: dict[str, int]
    sequence_length: int
    subword_buckets: int = 0
    subword_length: int = 0
    emoji: bool = False

    @classmethod
    def load(cls, path: str) -> Encoder:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        tokens = spec["tokens"]
        if tuple(tokens[: len(RESERVED)]) != RESERVED:
            raise ValueError(f"{path}: a vocabulary starts with {RESERVED}")
        return cls({t: i for i, t in enumerate(tokens)}, int(spec["sequence_length"]),
                   int(spec.get("subword_buckets", 0)), int(spec.get("subword_length", 0)), bool(spec.get("emoji")))

    @property
    def width(self) -> int:
        return self.sequence_length + (self.subword_length if self.subword_buckets else 0)

    @property
    def id_space(self) -> int:
        """How many ids the embedding layer needs."""
        return len(self.index) + self.subword_buckets

    def tokens(self, cleaned: str) -> list[str]:
        return (tokenize_with_emoji if self.emoji else tokenize)(cleaned)

    def encode(self, cleaned: list[str]) -> np.ndarray:
        out = np.full((len(cleaned), self.width), PAD_INDEX, dtype=np.int32)
        for row, text in enumerate(cleaned):
            words = self.tokens(text)[: self.sequence_length]
            out[row, : len(words)] = [self.index.get(w, OOV_INDEX) for w in words]
            if self.subword_buckets:
                grams = [g for w in words if not w.startswith("xx") for g in subwords(w)][: self.subword_length]
                base = len(self.index)
                out[row, self.sequence_length: self.sequence_length + len(grams)] = [
                    base + zlib.crc32(g.encode()) % self.subword_buckets for g in grams]
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
        self.encoder = Encoder.load(artifacts[VOCABULARY_ARTIFACT])
        self.runner = TFLiteRunner(artifacts[TFLITE_ARTIFACT], threads=int(self.config.get("tflite_threads", 1)))

    def predict_proba(self, cleaned: list[str]):
        return self.runner.predict(self.encoder.encode(cleaned))
