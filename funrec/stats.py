"""Paired 95 % intervals over seeds, and the study tables the chapters build from them.

The book compares models paired by seed (same data, same initialisation seed), so
every interval here is that of a paired t-test on per-seed differences.
``gain_intervals``, ``gain_falls``, ``against_shared_bottom`` and ``interval_table``
read the capacity study's table (``funrec.results.load("capacity_conflict")``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def paired_interval(differences, confidence: float = 0.95) -> dict:
    """Mean of paired differences with its t-interval: ``mean, low, high, n``.

    The differences are one per seed (model minus baseline on the same data and
    initialisation seed), so the interval is that of a paired t-test. With one
    value the interval is undefined (NaN)."""
    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return dict(mean=math.nan, low=math.nan, high=math.nan, n=0)
    mean = float(values.mean())
    if n < 2:
        return dict(mean=mean, low=math.nan, high=math.nan, n=1)
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return dict(mean=mean, low=mean - half, high=mean + half, n=n)


def paired_test(differences, confidence: float = 0.95) -> dict:
    """:func:`paired_interval` with two-sided p-values for a mean difference of 0:
    ``p`` of the paired t-test and ``p_wilcoxon`` of the signed-rank test, which does
    not lean on a few large differences (seeds with heavy tails)."""
    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    found = paired_interval(values, confidence)
    if len(values) < 2 or not np.any(values):
        return found | dict(p=math.nan, p_wilcoxon=math.nan)
    t_p = stats.ttest_1samp(values, 0.0).pvalue if values.std() > 0 else 0.0
    return found | dict(p=float(t_p), p_wilcoxon=float(stats.wilcoxon(values).pvalue))


def holm(p_values) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (same order back): the
    i-th smallest of m is multiplied by m - i + 1, and the adjusted values are made
    non-decreasing in that order and capped at 1. NaN stays NaN, outside the family."""
    known = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    adjusted, running = [math.nan] * len(p_values), 0.0
    for rank, (p, i) in enumerate(sorted(known)):
        running = max(running, min(1.0, (len(known) - rank) * p))
        adjusted[i] = running
    return adjusted


def format_interval(interval: dict, scale: float = 1.0, digits: int = 2) -> str:
    """``+1.23 [0.45, 2.01]`` (mean and 95 % interval, times ``scale``)."""
    if interval["n"] == 0:
        return "n/a"
    mean = f"{interval['mean'] * scale:+.{digits}f}"
    if math.isnan(interval["low"]):
        return mean
    return f"{mean} [{interval['low'] * scale:+.{digits}f}, {interval['high'] * scale:+.{digits}f}]"


def gain_intervals(frame: pd.DataFrame, metric: str = "gain_macro") -> pd.DataFrame:
    """Mean and 95 % interval of ``metric`` over seeds for every (model, width, conflict)
    of a capacity-study table (``funrec.results.load("capacity_conflict")``); rows
    without the metric (the single-task baseline's own gain) are left out."""
    rows = []
    present = frame.dropna(subset=[metric])
    for (model, width, conflict), group in present.groupby(["model", "width", "conflict"],
                                                            sort=False):
        rows.append(dict(model=model, width=width, conflict=conflict,
                         level=group["level"].iloc[0] if "level" in group else None,
                         **paired_interval(group[metric].to_numpy())))
    return pd.DataFrame(rows)


def _by_seed(frame: pd.DataFrame, column: str, **selection) -> pd.Series:
    rows = frame
    for key, value in selection.items():
        rows = rows[rows[key] == value]
    return rows.set_index("seed")[column]


def paired_by_seed(frame: pd.DataFrame, column: str, first: dict, second: dict) -> dict:
    """Interval of ``column`` at selection ``first`` minus at ``second`` (each a dict of
    column values, e.g. ``dict(model="mmoe", level="shared_drivers")``), paired by seed."""
    a, b = _by_seed(frame, column, **first), _by_seed(frame, column, **second)
    seeds = a.index.intersection(b.index)
    return paired_interval((a[seeds] - b[seeds]).to_numpy())


def _falls_by_seed(frame: pd.DataFrame, first: str, last: str, tasks) -> dict:
    """(width, model, task) -> the gain at level ``first`` minus at ``last``, per seed."""
    falls = {}
    mtl = frame.dropna(subset=["gain_macro"])  # the baseline has no gain of its own
    for (width, model), group in mtl.groupby(["width", "model"], sort=False):
        for task in tasks:
            falls[width, model, task] = (_by_seed(group, f"gain_{task}", level=first)
                                         - _by_seed(group, f"gain_{task}", level=last))
    return falls


def gain_falls(frame: pd.DataFrame, first: str, last: str, tasks) -> pd.DataFrame:
    """How far each model's MTL gain falls from level ``first`` to level ``last``, per
    width and task (``gain_<task>``), as a paired interval over seeds (positive: the
    gain fell), from a capacity-study table."""
    return pd.DataFrame([dict(width=width, model=model, task=task,
                              **paired_interval(fall.dropna().to_numpy()))
                         for (width, model, task), fall in
                         _falls_by_seed(frame, first, last, tasks).items()])


def against_shared_bottom(frame: pd.DataFrame, first: str, last: str, tasks) -> pd.DataFrame:
    """Each gated model against the Shared-Bottom of the same width, paired by seed:
    its gain minus the Shared-Bottom's at levels ``first`` and ``last``, and its fall
    minus the Shared-Bottom's fall (a difference of differences)."""
    falls = _falls_by_seed(frame, first, last, tasks)
    rows = []
    for (width, model, task), fall in sorted(falls.items(), key=lambda item: item[0][:2]):
        if model == "shared_bottom":
            continue
        base = falls[width, "shared_bottom", task]
        seeds = fall.index.intersection(base.index)
        column = f"gain_{task}"
        at = {f"minus_sb_at_{level}": paired_by_seed(
                  frame[frame.width == width], column, dict(model=model, level=level),
                  dict(model="shared_bottom", level=level)) for level in (first, last)}
        at["fall_minus_sb_fall"] = paired_interval((fall[seeds] - base[seeds]).to_numpy())
        for comparison, interval in at.items():
            rows.append(dict(width=width, model=model, task=task, comparison=comparison,
                             **interval))
    return pd.DataFrame(rows)


def interval_table(intervals: pd.DataFrame, index, tasks, scale: float = 100.0) -> pd.DataFrame:
    """Intervals with one row per task (from :func:`gain_falls` or
    :func:`against_shared_bottom`) as text, ``mean [low, high]`` times ``scale``, one
    column per task and one row per ``index`` value."""
    text = intervals.assign(text=[format_interval(row, scale) for row in
                                  intervals.to_dict("records")])
    return text.pivot_table(index=index, columns="task", values="text", aggfunc="first",
                            sort=False)[list(tasks)]
