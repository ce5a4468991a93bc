import numpy as np
import pytest

from funrec.data import synthetic_regression


def label_correlation(p):
    data = synthetic_regression(correlation=p, n_rows=6000, seed=1)
    return np.corrcoef(data.labels["task_1"], data.labels["task_2"])[0, 1]


def test_task_correlation_follows_the_knob():
    assert label_correlation(1.0) > 0.99
    assert label_correlation(1.0) > label_correlation(0.9) > label_correlation(0.5) \
        > label_correlation(0.0)
    assert abs(label_correlation(0.0)) < 0.1


def test_shapes_split_and_determinism():
    a = synthetic_regression(n_rows=1200, seed=2)
    b = synthetic_regression(n_rows=1200, seed=2)
    assert a.features["x"].shape == (1200, 100) and a.task_type == "regression"
    np.testing.assert_array_equal(a.labels["task_2"], b.labels["task_2"])
    train, valid, test = a.split_by_date()
    assert (len(train), len(valid), len(test)) == (1000, 100, 100)


def test_bad_correlation_is_refused():
    with pytest.raises(ValueError, match="correlation must lie in"):
        synthetic_regression(correlation=1.2)
