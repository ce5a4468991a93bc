"""The MMoE paper's synthetic regression tasks with a controlled correlation.

Ma et al. (KDD 2018, section 4) build two regression tasks whose correlation is
set by ``p``:

1. draw two orthogonal unit vectors ``u1, u2`` in R^d;
2. ``w1 = c * u1`` and ``w2 = c * (p * u1 + sqrt(1 - p**2) * u2)``
   (``c`` scales both terms of ``w2``);
3. draw inputs ``x ~ N(0, I_d)``;
4. ``y_k = w_k . x + sum_{i=1..m} sin(alpha_i * w_k . x + beta_i) + eps``,
   with ``eps ~ N(0, 0.01)``.

The sines make the tasks non-linear, so the label correlation is no longer
exactly ``p``; the cosine of ``w1`` and ``w2`` still is. The paper does not
publish ``c``, ``m``, ``alpha``, ``beta`` or the sample count. Ours, stated:
``d = 100``, ``c = 1``, ``m = 10``, ``alpha_i, beta_i ~ N(0, 1)`` drawn once per
seed and shared by both tasks, 12,000 rows (10,000 train, 1,000 validation,
1,000 test, as the "dates" 1, 2 and 3).
"""

from __future__ import annotations

import numpy as np

from .dataset import Dataset


def synthetic_regression(correlation: float = 0.5, n_rows: int = 12_000, dim: int = 100,
                         scale: float = 1.0, n_sines: int = 10, noise_std: float = 0.1,
                         seed: int = 0) -> Dataset:
    """Two regression tasks ``task_1``, ``task_2`` with weight-vector cosine ``correlation``."""
    if not -1 <= correlation <= 1:
        raise ValueError(f"correlation must lie in [-1, 1], got {correlation}.")
    if n_rows < 12 or dim < 2:
        raise ValueError(f"need n_rows >= 12 and dim >= 2, got n_rows={n_rows}, dim={dim}.")
    rng = np.random.default_rng(seed)
    u1, u2 = np.linalg.qr(rng.normal(size=(dim, 2)))[0].T  # orthonormal pair
    w1 = scale * u1
    w2 = scale * (correlation * u1 + np.sqrt(1 - correlation ** 2) * u2)
    alpha, beta = rng.normal(size=n_sines), rng.normal(size=n_sines)
    x = rng.normal(size=(n_rows, dim)).astype(np.float32)

    def target(w):
        z = x @ w
        return (z + np.sin(np.outer(z, alpha) + beta).sum(axis=1)
                + rng.normal(0, noise_std, n_rows)).astype(np.float32)

    labels = {"task_1": target(w1), "task_2": target(w2)}
    n_test = n_valid = max(1, n_rows // 12)
    date = np.repeat([1, 2, 3], [n_rows - n_valid - n_test, n_valid, n_test])
    return Dataset(features={"x": x}, labels=labels, date=date,
                   user_id=np.zeros(n_rows, dtype=np.int64), vocab_sizes={},
                   task_type="regression", name="mmoe-synthetic",
                   description=dict(correlation=correlation, dim=dim, scale=scale,
                                    n_sines=n_sines, seed=seed))
