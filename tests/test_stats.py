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
