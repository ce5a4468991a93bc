"""Ranking metrics for multi-task models: AUC, GAUC, oracle AUC and MTL gain."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def auc(labels, scores) -> float:
    """Area under the ROC curve; NaN when the labels hold a single class."""
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, scores))


def per_user_auc(labels, scores, users) -> pd.DataFrame:
    """AUC of every user whose labels hold both classes, with their impression count.

    Uses the rank-sum form AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg),
    with tied scores sharing their average rank, which equals scikit-learn's AUC.
    """
    frame = pd.DataFrame({"user": users, "label": np.asarray(labels, dtype=float),
                          "score": scores})
    frame["rank"] = frame.groupby("user")["score"].rank(method="average")
    frame["pos_rank"] = frame["rank"] * frame["label"]
    per_user = frame.groupby("user").agg(n=("label", "size"), n_pos=("label", "sum"),
                                         rank_sum=("pos_rank", "sum"))
    per_user = per_user[(per_user.n_pos > 0) & (per_user.n_pos < per_user.n)]
    n_neg = per_user.n - per_user.n_pos
    per_user["auc"] = (per_user.rank_sum - per_user.n_pos * (per_user.n_pos + 1) / 2) / (
        per_user.n_pos * n_neg)
    return per_user[["n", "auc"]]


def gauc(labels, scores, users, weighted: bool = True) -> tuple[float, int]:
    """Group AUC (Zhou et al., 2018, DIN) and the number of users it counts.

    GAUC = sum_u w_u AUC_u / sum_u w_u over the users whose labels hold both
    classes (for the others AUC is undefined), with w_u the user's number of
    impressions (``weighted=True``) or 1 (``weighted=False``). The count is the
    source chapter's ``val_user_*`` column.
    """
    per_user = per_user_auc(labels, scores, users)
    if per_user.empty:
        return float("nan"), 0
    weights = per_user.n if weighted else np.ones(len(per_user))
    return float(np.average(per_user.auc, weights=weights)), len(per_user)


def lift_share(model_auc: float, oracle_auc: float) -> float:
    """(AUC - 0.5) / (oracle AUC - 0.5): the share of the attainable lift reached."""
    return (model_auc - 0.5) / (oracle_auc - 0.5)


def evaluate(labels: dict, predictions: dict, users, true_probs: dict | None = None,
             task_type: str = "binary") -> pd.DataFrame:
    """One row with the source chapter's columns: ``auc_<task>``, ``auc_macro``,
    ``gauc_<task>``, ``gauc_macro``, ``val_user_<task>``, and ``oracle_auc_<task>``
    where the true probabilities are known. Regression tasks get ``mse_<task>``."""
    tasks = list(labels)
    row = {}
    if task_type == "regression":
        for t in tasks:
            row[f"mse_{t}"] = float(np.mean((np.ravel(predictions[t]) - labels[t]) ** 2))
        row["mse_macro"] = float(np.mean([row[f"mse_{t}"] for t in tasks]))
        return pd.DataFrame([row])
    for t in tasks:
        row[f"auc_{t}"] = auc(labels[t], np.ravel(predictions[t]))
    row["auc_macro"] = float(np.mean([row[f"auc_{t}"] for t in tasks]))
    counts = {}
    for t in tasks:
        row[f"gauc_{t}"], counts[t] = gauc(labels[t], np.ravel(predictions[t]), users)
    row["gauc_macro"] = float(np.mean([row[f"gauc_{t}"] for t in tasks]))
    for t in tasks:
        row[f"val_user_{t}"] = counts[t]
    if true_probs is not None:
        for t in tasks:
            row[f"oracle_auc_{t}"] = auc(labels[t], true_probs[t])
    return pd.DataFrame([row])


def mtl_gain(multi_task: pd.DataFrame, single_task: pd.DataFrame,
             metrics=("auc", "gauc", "mse")) -> pd.DataFrame:
    """MTL gain (Tang et al., 2020, eq. 11): the multi-task model's metric minus
    that of the single-task model of the same structure on the same samples
    (reversed for losses such as MSE, so a positive gain is always better)."""
    gains = {}
    for column in multi_task.columns:
        kind = column.split("_")[0]
        if kind in metrics:
            sign = -1 if kind == "mse" else 1
            gains[f"gain_{column}"] = sign * (multi_task[column].to_numpy()
                                              - single_task[column].to_numpy())
    return pd.DataFrame(gains, index=multi_task.index)
