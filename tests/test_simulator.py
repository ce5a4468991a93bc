import numpy as np
import pytest

from funrec.data import simulate_kuairand
from funrec.data.simulator import CATEGORICAL_COLUMNS, TASKS
from funrec.metrics import auc

SMALL = dict(n_users=300, n_videos=400, n_authors=80, n_rows=40_000)


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    a, b = simulate_kuairand(seed=5, **SMALL), simulate_kuairand(seed=5, **SMALL)
    c = simulate_kuairand(seed=6, **SMALL)
    for name in a.features:
        np.testing.assert_array_equal(a.features[name], b.features[name])
    for task in TASKS:
        np.testing.assert_array_equal(a.labels[task], b.labels[task])
        np.testing.assert_array_equal(a.true_probs[task], b.true_probs[task])
    assert not np.array_equal(a.labels["is_click"], c.labels["is_click"])


def test_log_has_kuairand_columns_and_no_probability_among_features():
    log = simulate_kuairand(**SMALL)
    assert set(log.features) == set(CATEGORICAL_COLUMNS)
    assert log.tasks == list(TASKS)
    assert all(v.dtype == np.int32 and v.min() >= 1 for v in log.features.values())
    assert all(log.features[c].max() < log.vocab_sizes[c] for c in log.features)
    assert np.all(np.diff(log.date) >= 0), "a log is ordered by time"
    assert len(np.unique(log.date)) == 17 and log.date.max() == 20220508


@pytest.mark.parametrize("conflict", ["aligned", "independent", "conflicting"])
def test_positive_rates_stay_at_their_targets_at_every_conflict_level(conflict):
    log = simulate_kuairand(conflict=conflict, **SMALL)
    rates = {t: log.labels[t].mean() for t in TASKS}
    assert 0.30 < rates["is_click"] < 0.40
    assert 0.20 < rates["long_view"] < 0.30
    assert 0.01 < rates["is_like"] < 0.06


def test_conflict_knob_turns_click_and_long_view_from_allies_into_rivals():
    def click_long_view_correlation(conflict):
        log = simulate_kuairand(conflict=conflict, **SMALL)
        return np.corrcoef(log.true_probs["is_click"], log.true_probs["long_view"])[0, 1]

    aligned, independent, conflicting = (click_long_view_correlation(c) for c in (0, 0.5, 1))
    assert aligned > 0.5 > independent > conflicting
    assert conflicting < 0.05


def test_true_probabilities_make_a_useful_oracle():
    log = simulate_kuairand(**SMALL)
    for task in TASKS:
        assert 0.72 < auc(log.labels[task], log.true_probs[task]) < 0.9


@pytest.mark.parametrize("bad, message", [
    (dict(conflict=1.5), "conflict must lie in"),
    (dict(conflict="chaotic"), "unknown conflict level"),
    (dict(n_rows=0), "n_rows must be a positive"),
    (dict(signal=0), "signal must be positive"),
])
def test_bad_simulator_arguments_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        simulate_kuairand(**{**SMALL, **bad})


def test_subsample_is_uniformly_random_not_the_first_rows():
    log = simulate_kuairand(**SMALL)
    part = log.subsample(0.1, seed=1)
    assert len(part) == round(0.1 * len(log))
    # Drawn from the whole log: every date appears, not just the first days.
    assert set(np.unique(part.date)) == set(np.unique(log.date))
    assert not np.array_equal(part.features["video_id"], log.features["video_id"][:len(part)])
    again = log.subsample(0.1, seed=1)
    np.testing.assert_array_equal(part.features["video_id"], again.features["video_id"])


def test_split_by_date_holds_out_the_last_two_days():
    log = simulate_kuairand(**SMALL)
    train, valid, test = log.split_by_date()
    assert len(train) + len(valid) + len(test) == len(log)
    assert set(test.date) == {20220508} and set(valid.date) == {20220507}
    assert train.date.max() < 20220507
