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
    """Codes 1..K for the K distinct values (sorted), 0 for missing; returns (codes, K + 1)."""
    codes, uniques = pd.factorize(values.astype("string"), sort=True)
    return (codes + 1).astype(np.int32), len(uniques) + 1
