"""Turning raw columns into the integer codes the embedding tables read."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Edges in milliseconds: short clips, ordinary shorts, and long-form videos.
DURATION_EDGES_MS = (7_000, 15_000, 30_000, 60_000, 120_000, 300_000)


def duration_bucket(duration_ms) -> np.ndarray:
    """Bucket index 0..6 of a video length in milliseconds."""
    return np.searchsorted(DURATION_EDGES_MS, np.asarray(duration_ms), side="right")


def encode_categorical(values: pd.Series) -> tuple[np.ndarray, int]:
    """Codes 1..K for the K distinct values (sorted as text), 0 for missing;
    returns (codes, K + 1).

    The values are hashed as they are and only the distinct ones are written as
    text to be sorted, which keeps a column of millions of rows quick."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, names = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, names = pd.factorize(values)  # -1 where missing
    used = np.bincount(codes[codes >= 0], minlength=len(names)) > 0  # a category may not occur
    text = np.asarray(names.astype(str))[used]
    rank = np.zeros(len(names), np.int32)
    rank[np.flatnonzero(used)[np.argsort(text, kind="stable")]] = np.arange(1, used.sum() + 1)
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], 0).astype(np.int32), int(used.sum()) + 1
