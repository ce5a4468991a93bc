"""Tables as the package prints them: four fixed decimals, narrow enough to read.

Imports no TensorFlow; the command line uses it before any model exists.
"""

from __future__ import annotations

import numbers

import pandas as pd
import tabulate as tabulate_module
from tabulate import tabulate

DECIMALS = ".4f"
KEY_METRICS = ("auc_macro", "gauc_macro")
WIDTH = 100  # columns of a terminal the printed comparison fits


def format_table(table: pd.DataFrame) -> str:
    """The whole table as the source chapter prints it: a grid, four decimals."""
    return tabulate(_cells(table), headers=list(table.columns), tablefmt="grid",
                    disable_numparse=True, colalign=["right"] * len(table.columns))


def tasks_of(table: pd.DataFrame) -> list[str]:
    """The tasks of a metrics table, in its column order (from its ``auc_<task>``)."""
    return [c[len("auc_"):] for c in table.columns
            if c.startswith("auc_") and c != "auc_macro"]


def metric_by_task(table: pd.DataFrame) -> str:
    """One run's one-row table turned on its side: a row per metric, a column per
    task and one for the macro mean, so it fits a terminal."""
    row = {c: table[c].iloc[0] for c in table.columns}  # by column: counts stay whole
    columns = tasks_of(table) + ["macro"]
    metrics = []
    for name in table.columns:  # metrics in the table's own order
        for column in columns:
            metric = name[:-len(column) - 1]
            if name.endswith("_" + column) and metric not in metrics:
                metrics.append(metric)
    body = [[m] + [_cell(row.get(f"{m}_{c}")) for c in columns] for m in metrics]
    return _plain_columns(body, ["metric", *columns])


def comparison(results: dict) -> pd.DataFrame:
    """Models as rows: parameters, macro AUC and GAUC, every task's AUC; on
    simulated data a last row with the oracle's AUC, the same for every model
    since they are scored on the same test rows."""
    rows = []
    for name, result in results.items():
        row = result.table.iloc[0]
        rows.append({"model": name, "params": result.n_params,
                     **{m: row[m] for m in KEY_METRICS},
                     **{f"auc_{t}": row[f"auc_{t}"] for t in tasks_of(result.table)}})
    first = next(iter(results.values())).table
    tasks = tasks_of(first)
    if all(f"oracle_auc_{t}" in first for t in tasks):
        ceiling = {f"auc_{t}": first[f"oracle_auc_{t}"].iloc[0] for t in tasks}
        rows.append({"model": "(oracle)", "params": None, "gauc_macro": None,
                     "auc_macro": sum(ceiling.values()) / len(tasks), **ceiling})
    frame = pd.DataFrame(rows)
    frame["params"] = frame["params"].astype("Int64")  # whole numbers, blank for the oracle
    return frame


def format_comparison(frame: pd.DataFrame) -> str:
    """The comparison as plain columns, four decimals, thousands in the counts, within
    :data:`WIDTH` columns: with many tasks (the many-task story's six) each header
    goes on two lines, the metric above its task, and if that is still too wide the
    tasks lose their ``is_`` (``AUC`` above ``follow``)."""
    cells = _cells(frame)
    for separator, short, padding in ((" ", False, 2), ("\n", False, 0), ("\n", True, 0)):
        text = _plain_columns(cells, [_header(c, separator, short) for c in frame.columns],
                              padding)
        if max(map(len, text.splitlines())) <= WIDTH:
            break
    return text


def full_comparison(results: dict) -> pd.DataFrame:
    """Every column of every model's table, one row per model."""
    return pd.concat([r.table.assign(model=name, params=r.n_params)
                      for name, r in results.items()], ignore_index=True).pipe(
        lambda t: t[["model", "params"] + [c for c in t if c not in ("model", "params")]])


def _header(column: str, separator: str = " ", short: bool = False) -> str:
    """``auc_is_click`` -> ``AUC is_click``, ``gauc_macro`` -> ``GAUC macro``; with
    ``short``, ``AUC click``."""
    metric, _, rest = column.partition("_")
    if metric not in ("auc", "gauc"):
        return column
    if short and rest.startswith("is_"):
        rest = rest[len("is_"):]
    return f"{metric.upper()}{separator}{rest}"


def _cell(value) -> str:
    """Counts with thousands separators, scores with four decimals, blanks for NaN."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        return format(value, DECIMALS)
    return str(value)


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    columns = [[_cell(v) for v in frame[c].tolist()] for c in frame.columns]
    return [list(row) for row in zip(*columns)]


def _plain_columns(body, headers, padding: int = 2) -> str:
    """A first column of names, the others right-aligned, as the cells are written;
    ``padding``: the spaces tabulate adds to a header's width (the columns stay two
    spaces apart)."""
    saved, tabulate_module.MIN_PADDING = tabulate_module.MIN_PADDING, padding
    try:
        return tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True,
                        colalign=["left"] + ["right"] * (len(headers) - 1))
    finally:
        tabulate_module.MIN_PADDING = saved
