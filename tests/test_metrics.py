import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from funrec.metrics import evaluate, gauc, lift_share, mtl_gain, per_user_auc


def test_per_user_auc_equals_scikit_learn_per_user_with_ties():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 30, 2000)
    labels = rng.integers(0, 2, 2000)
    scores = np.round(rng.random(2000) + 0.3 * labels, 1)  # rounding makes ties
    table = per_user_auc(labels, scores, users)
    for user, row in table.iterrows():
        mine = users == user
        assert row.auc == pytest.approx(roc_auc_score(labels[mine], scores[mine]))


def test_gauc_weights_by_impressions_and_skips_one_class_users():
    users = np.array([1, 1, 1, 1, 2, 2, 3, 3])
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 1])   # user 3 has only positives
    scores = np.array([.9, .1, .2, .8, .3, .7, .5, .6])
    # user 1: 3 of 4 positive-negative pairs in order, AUC 0.75 over 4 rows;
    # user 2: AUC 0 over 2 rows; user 3 is skipped
    assert gauc(labels, scores, users) == (pytest.approx((0.75 * 4 + 0.0 * 2) / 6), 2)
    assert gauc(labels, scores, users, weighted=False) == (pytest.approx(0.375), 2)


def test_gauc_with_no_countable_user_is_nan_with_zero_users():
    value, count = gauc(np.array([1, 1, 0]), np.array([.1, .2, .3]), np.array([1, 1, 2]))
    assert np.isnan(value) and count == 0


def test_evaluate_gives_the_source_chapter_columns_and_the_oracle():
    rng = np.random.default_rng(1)
    n = 500
    labels = {"a": rng.integers(0, 2, n), "b": rng.integers(0, 2, n)}
    table = evaluate(labels, {"a": rng.random(n), "b": rng.random(n)}, rng.integers(0, 20, n),
                     true_probs={"a": labels["a"] * 0.8 + 0.1, "b": rng.random(n)})
    assert list(table.columns) == ["auc_a", "auc_b", "auc_macro", "gauc_a", "gauc_b",
                                   "gauc_macro", "val_user_a", "val_user_b",
                                   "oracle_auc_a", "oracle_auc_b"]
    assert table.oracle_auc_a.iloc[0] == 1.0
    assert table.auc_macro.iloc[0] == pytest.approx((table.auc_a + table.auc_b).iloc[0] / 2)


def test_mtl_gain_is_positive_when_multi_task_is_better_for_auc_and_for_mse():
    multi = pd.DataFrame({"auc_a": [0.80], "gauc_a": [0.70], "mse_b": [1.0], "val_user_a": [9]})
    single = pd.DataFrame({"auc_a": [0.75], "gauc_a": [0.72], "mse_b": [1.5], "val_user_a": [9]})
    gain = mtl_gain(multi, single)
    assert list(gain.columns) == ["gain_auc_a", "gain_gauc_a", "gain_mse_b"]
    assert gain.gain_auc_a.iloc[0] == pytest.approx(0.05)
    assert gain.gain_gauc_a.iloc[0] == pytest.approx(-0.02)
    assert gain.gain_mse_b.iloc[0] == pytest.approx(0.5)


def test_lift_share():
    assert lift_share(0.7, 0.9) == pytest.approx(0.5)
