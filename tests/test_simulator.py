import numpy as np
import pytest

from funrec.data import simulate_kuairand
from funrec.data.simulator import (CATEGORICAL_COLUMNS, CONFLICT_LEVELS, STORIES, TASKS,
                                   restless_rows, true_logit_correlation)
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


ALL_LEVELS = [(story, name) for story, levels in CONFLICT_LEVELS.items() for name in levels]


def logit(p):
    return np.log(p / (1 - p))


@pytest.mark.parametrize("story, level", ALL_LEVELS)
def test_positive_rates_stay_at_their_targets_in_every_story_and_level(story, level):
    log = simulate_kuairand(conflict=level, **SMALL)
    assert log.description["story"] == story, "a named level implies its story"
    rates = {t: log.labels[t].mean() for t in TASKS}
    assert 0.30 < rates["is_click"] < 0.40
    assert 0.20 < rates["long_view"] < 0.30
    assert 0.01 < rates["is_like"] < 0.06


def test_levels_change_the_labels_but_not_the_impressions():
    shared = simulate_kuairand(conflict="shared_drivers", **SMALL)
    different = simulate_kuairand(conflict="different_drivers", **SMALL)
    for name in shared.features:
        np.testing.assert_array_equal(shared.features[name], different.features[name])
    np.testing.assert_array_equal(shared.labels["is_click"], different.labels["is_click"])
    assert not np.array_equal(shared.labels["long_view"], different.labels["long_view"])


@pytest.mark.parametrize("story", STORIES)
def test_every_story_starts_from_the_same_log_at_conflict_zero(story):
    base = simulate_kuairand(conflict=0.0, **SMALL)
    log = simulate_kuairand(conflict=0.0, story=story, **SMALL)
    for task in TASKS:
        np.testing.assert_allclose(log.true_probs[task], base.true_probs[task], atol=1e-9)


@pytest.mark.parametrize("story, expected", [
    # drivers: cos(pi c / 2); clickbait: (1 + cos pi c) / sqrt(2 (1 + cos^2 pi c)).
    ("drivers", {0.0: 1.0, 0.5: np.cos(np.pi / 4), 1.0: 0.0}),
    ("clickbait", {0.0: 1.0, 0.5: 1 / np.sqrt(2), 1.0: 0.0}),
])
def test_true_logit_correlation_follows_the_story(story, expected):
    for conflict, value in expected.items():
        r = true_logit_correlation(simulate_kuairand(conflict=conflict, story=story, **SMALL))
        assert abs(r.loc["is_click", "long_view"] - value) < 0.08, (story, conflict)
        assert r.loc["long_view", "is_like"] > 0.9, "likes follow what keeps viewers watching"


def test_true_logit_correlation_matches_a_direct_computation():
    log = simulate_kuairand(conflict=0.5, **SMALL)
    r = true_logit_correlation(log)
    assert list(r.index) == list(r.columns) == list(TASKS)
    direct = np.corrcoef(logit(log.true_probs["is_click"]), logit(log.true_probs["is_like"]))
    assert r.loc["is_click", "is_like"] == pytest.approx(direct[0, 1], abs=1e-9)
    np.testing.assert_allclose(np.diag(r), 1.0)


def test_segments_story_splits_the_tasks_for_restless_viewers_only():
    log = simulate_kuairand(conflict="restless_apart", **SMALL)
    restless = restless_rows(log)
    assert 0.3 < restless.mean() < 0.5
    patient = true_logit_correlation(log, ~restless).loc["is_click", "long_view"]
    apart = true_logit_correlation(log, restless).loc["is_click", "long_view"]
    assert patient > 0.99 and abs(apart) < 0.1
    overall = true_logit_correlation(log).loc["is_click", "long_view"]
    assert apart < overall < patient


def share_explained_by_patience_and_length(log):
    """Between-cell share of the long-view logit's variance over activity x length cells."""
    z = logit(log.true_probs["long_view"])
    cells = log.features["user_active_degree"] * 100 + log.features["video_duration_bucket"]
    _, index = np.unique(cells, return_inverse=True)
    means = np.bincount(index, z) / np.bincount(index)
    return means[index].var() / z.var()


def test_different_drivers_move_long_views_to_drivers_clicks_ignore():
    shared = simulate_kuairand(conflict="shared_drivers", **SMALL)
    different = simulate_kuairand(conflict="different_drivers", **SMALL)
    assert share_explained_by_patience_and_length(shared) < 0.05
    assert share_explained_by_patience_and_length(different) > 0.3


def upload_type_means(log, task):
    z = logit(log.true_probs[task])
    codes = log.features["upload_type"]
    return np.array([z[codes == k].mean() for k in np.unique(codes)])


def test_clickbait_turns_the_hook_against_long_views():
    aligned = simulate_kuairand(conflict="aligned", **SMALL)
    clickbait = simulate_kuairand(conflict="clickbait", **SMALL)
    for log, sign in ((aligned, 1), (clickbait, -1)):
        r = np.corrcoef(upload_type_means(log, "is_click"), upload_type_means(log, "long_view"))
        assert sign * r[0, 1] > 0.9
    # Staying depends on no driver that clicks ignore: only the hook's sign turned.
    assert share_explained_by_patience_and_length(clickbait) < 0.05


@pytest.mark.parametrize("level", ["shared_drivers", "different_drivers", "clickbait",
                                   "restless_apart"])
def test_true_probabilities_make_a_useful_oracle(level):
    log = simulate_kuairand(conflict=level, **SMALL)
    for task in TASKS:
        assert 0.72 < auc(log.labels[task], log.true_probs[task]) < 0.9


@pytest.mark.parametrize("bad, message", [
    (dict(conflict=1.5), "conflict must lie in"),
    (dict(conflict="chaotic"), "unknown conflict level"),
    (dict(n_rows=0), "n_rows must be a positive"),
    (dict(signal=0), "signal must be positive"),
    (dict(story="romance"), "unknown story 'romance'"),
    (dict(conflict="clickbait", story="drivers"), "belongs to the 'clickbait' story"),
])
def test_bad_simulator_arguments_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        simulate_kuairand(**{**SMALL, **bad})


def test_conflict_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="conflict must be a number"):
        simulate_kuairand(conflict=[0.5], **SMALL)


def test_correlation_needs_true_probabilities():
    log = simulate_kuairand(**SMALL)
    log.true_probs = None
    with pytest.raises(ValueError, match="no true probabilities"):
        true_logit_correlation(log)


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
