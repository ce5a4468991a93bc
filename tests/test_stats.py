"""Paired intervals over seeds, as the chapters and the studies report them."""

import math

import numpy as np
import pytest

from funrec.stats import format_interval, paired_interval


def test_paired_interval_is_the_t_interval_of_the_differences():
    interval = paired_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n), sd = 1
    assert interval["mean"] == pytest.approx(2.0)
    assert interval["low"] == pytest.approx(2 - half)
    assert interval["high"] == pytest.approx(2 + half)
    assert interval["n"] == 3
    assert math.isnan(paired_interval([0.4])["low"]) and paired_interval([])["n"] == 0
    assert paired_interval([1.0, np.nan, 3.0])["n"] == 2
    assert format_interval(interval, scale=100, digits=1) == "+200.0 [-48.4, +448.4]"
    assert format_interval(paired_interval([0.4])) == "+0.40"  # one seed: no interval


def test_holm_multiplies_the_smallest_by_the_family_size_and_keeps_the_order():
    from funrec.stats import holm

    # sorted 0.01, 0.02, 0.04, 0.5 -> 0.04, 0.06, 0.08, 0.5, back in the given order
    np.testing.assert_allclose(holm([0.04, 0.01, 0.5, 0.02]), [0.08, 0.04, 0.5, 0.06])
    # a later p smaller after its factor is raised to the one before (step-down)
    np.testing.assert_allclose(holm([0.01, 0.012]), [0.02, 0.02])
    assert max(holm([0.6, 0.9])) == 1.0


def test_paired_test_gives_the_t_and_signed_rank_p_values():
    from scipy import stats

    from funrec.stats import paired_test

    values = [0.3, 0.1, 0.4, 0.2, -0.05, 0.5]
    found = paired_test(values)
    assert found["p"] == pytest.approx(stats.ttest_1samp(values, 0).pvalue)
    # all six signs but one positive, the negative one the smallest: W = 1 of 21
    assert found["p_wilcoxon"] == pytest.approx(stats.wilcoxon(values).pvalue)
    assert found["p_wilcoxon"] == pytest.approx(2 * 2 / 64)
    assert np.isnan(paired_test([0.0, 0.0])["p"])


def test_holm_multiplies_the_ith_smallest_by_m_minus_i_plus_1_and_keeps_the_order():
    from funrec.stats import holm

    # sorted 0.01, 0.02, 0.04 (m = 3): 0.03, 0.04, 0.04 (0.04 * 1 raised to the 0.04
    # before it); NaN is left out of the family.
    assert holm([0.04, 0.01, float("nan"), 0.02]) == pytest.approx(
        [0.04, 0.03, float("nan"), 0.04], nan_ok=True)
    assert holm([0.5, 0.6]) == [1.0, 1.0]
