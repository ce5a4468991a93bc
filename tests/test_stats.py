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


def test_holm_multiplies_the_ith_smallest_by_m_minus_i_plus_1_and_keeps_the_order():
    from funrec.stats import holm

    # sorted 0.01, 0.02, 0.04 (m = 3): 0.03, 0.04, 0.04 (0.04 * 1 raised to the 0.04
    # before it); NaN is left out of the family.
    assert holm([0.04, 0.01, float("nan"), 0.02]) == pytest.approx(
        [0.04, 0.03, float("nan"), 0.04], nan_ok=True)
    assert holm([0.5, 0.6]) == [1.0, 1.0]


def test_paired_p_value_is_the_t_tests():
    from scipy import stats as scipy_stats

    from funrec.stats import paired_p_value

    values = [0.1, 0.3, -0.05, 0.2]
    assert paired_p_value(values) == pytest.approx(scipy_stats.ttest_1samp(values, 0).pvalue)
    assert math.isnan(paired_p_value([0.1]))
