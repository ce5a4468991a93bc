"""Feature columns, Keras inputs, embedding tables and their concatenation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._tensorflow import keras
from .data import Dataset


@dataclass(frozen=True)
class Feature:
    """One input column: categorical (``vocab_size`` codes, embedded in ``dim``)
    or dense (a float vector of width ``dim``, passed through)."""

    name: str
    dim: int
    vocab_size: int = 0
    init: object = None  # how the embedding table starts (a Keras initializer)

    @property
    def is_categorical(self) -> bool:
        return self.vocab_size > 0


def feature_columns(dataset: Dataset, embedding_dim: int = 8,
                    embedding_init=None) -> list[Feature]:
    """Every column of ``dataset`` as a :class:`Feature`; categorical ones embedded in
    ``embedding_dim`` with tables started by ``embedding_init`` (default: Keras's
    uniform in [-0.05, 0.05], see :func:`embedding_initializer`)."""
    if embedding_dim < 1:
        raise ValueError(f"embedding_dim must be at least 1, got {embedding_dim}.")
    columns = []
    for name, values in dataset.features.items():
        if name in dataset.vocab_sizes:
            columns.append(Feature(name, embedding_dim, dataset.vocab_sizes[name],
                                   embedding_init))
        else:
            columns.append(Feature(name, values.shape[1] if values.ndim == 2 else 1))
    return columns


def embedding_initializer(init=None):
    """The tables' initialiser: ``init`` if given, else Keras's uniform(-0.05, 0.05).

    Compared on the validation day over seeds (benchmarks/tune_defaults.py) with
    N(0, 1e-4^2), DeepCTR's, and N(0, 0.01^2): neither beat it on mean AUC for
    both Shared-Bottom and MMoE, nor narrowed the seed spread for both."""
    return "uniform" if init is None else init


def build_inputs(columns: list[Feature]) -> dict[str, keras.KerasTensor]:
    return {c.name: keras.Input(shape=(1,) if c.is_categorical else (c.dim,),
                                dtype="int32" if c.is_categorical else "float32", name=c.name)
            for c in columns}


def embed_and_concat(columns: list[Feature], inputs: dict, prefix: str = "") -> keras.KerasTensor:
    """Look every categorical input up in its embedding table and concatenate all
    columns into one vector per row: the input of the bottom network.

    The tables of all categorical columns are stored as one matrix, each column's
    codes shifted past the rows of the columns before it; looking a row up there is
    the same as looking it up in that column's own table, but it is one variable
    instead of one per column, which keeps TensorFlow's tracing short.
    ``prefix`` gives a model several independent sets of tables (single-task).
    """
    categorical = [c for c in columns if c.is_categorical]
    dense = [inputs[c.name] for c in columns if not c.is_categorical]
    parts = []
    if categorical:
        if len({c.dim for c in categorical}) > 1:
            raise ValueError("all categorical columns must share one embedding size.")
        offsets = np.cumsum([0] + [c.vocab_size for c in categorical[:-1]]).astype("int32")
        codes = keras.ops.concatenate([inputs[c.name] for c in categorical], axis=1) + offsets
        table = keras.layers.Embedding(sum(c.vocab_size for c in categorical),
                                       categorical[0].dim, name=f"{prefix}embeddings",
                                       embeddings_initializer=embedding_initializer(
                                           categorical[0].init))
        parts.append(keras.ops.reshape(table(codes), (-1, len(categorical) * categorical[0].dim)))
    parts += dense
    return parts[0] if len(parts) == 1 else keras.ops.concatenate(parts, axis=-1)
