"""What the long studies in this folder share: a cache of one small JSON file per run
(so a stopped study continues where it stopped), the command line's ``--share`` that
splits a study between processes on one cache, and the choice of learning rate and
epochs on validation averaged over seeds.

Nothing here trains a model; the study scripts do, through ``run_experiment``. They
import it as ``from lab import ...``: a script run as ``python benchmarks/x.py`` has
this folder on its path (the tests put it there, see tests/benchmark_scripts.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd


class RunCache:
    """One JSON file per run under ``folder``, named by the run's key.

    A key is a flat dict of the settings that define a run (model, width,
    level, seed, learning rate, epochs, ...). A file is written whole or not at
    all (written aside, then renamed), so a study killed mid-run leaves no
    half-written result behind, and the next start skips every run on disk."""

    def __init__(self, folder, share: tuple[int, int] = (0, 1)):
        self.part, self.parts = share
        if not 0 <= self.part < self.parts:
            raise ValueError(f"share must be (part, parts) with 0 <= part < parts, got {share}.")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.calls = 0

    def path(self, key: dict) -> Path:
        parts = []
        for name, value in key.items():
            text = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{name}={text}")
        return self.folder / (re.sub(r"[^A-Za-z0-9=._-]+", "-", "__".join(parts)) + ".json")

    def get(self, key: dict) -> dict | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def put(self, key: dict, record: dict) -> dict:
        record = to_plain({"key": key, **record})  # as a later read will return it
        path = self.path(key)
        aside = path.with_suffix(".json.part")
        aside.write_text(json.dumps(record, indent=1, sort_keys=True))
        os.replace(aside, path)
        return record

    def run(self, key: dict, compute) -> tuple[dict | None, bool]:
        """The cached record of ``key``, or ``compute()``'s, stored first.
        Returns ``(record, was_cached)``.

        With a share (part i of n processes, all making the same calls in the same
        order), this process computes only every n-th call, counting from i, and
        returns ``(None, False)`` for a run left to another part."""
        mine = self.calls % self.parts == self.part
        self.calls += 1
        cached = self.get(key)
        if cached is not None:
            return cached, True
        if not mine:
            return None, False
        return self.put(key, compute()), False

    def wait_for(self, keys, poll_seconds: float = 5.0, stall_seconds: float = 1800.0) -> None:
        """Block until every key's run is on disk (the other parts' runs too).

        Raises ``TimeoutError`` if runs are still missing and no run has been written
        for ``stall_seconds``: the part that owes them has most likely stopped."""
        written, since = None, time.monotonic()
        while missing := [key for key in keys if not self.path(key).is_file()]:
            count = sum(1 for _ in self.folder.glob("*.json"))
            if count != written:
                written, since = count, time.monotonic()
            elif time.monotonic() - since > stall_seconds:
                raise TimeoutError(
                    f"{len(missing)} runs are still missing (the first: "
                    f"{self.path(missing[0]).name}) and none has been written to "
                    f"{self.folder} for {stall_seconds:.0f} s: another part of the study "
                    f"has probably stopped. Start that part again with the same --share "
                    f"(finished runs are kept), or run without --share to compute them here.")
            time.sleep(poll_seconds)

    def records(self) -> list[dict]:
        """Every record in the folder (in file-name order)."""
        return [json.loads(p.read_text()) for p in sorted(self.folder.glob("*.json"))]


def parse_share(text: str) -> tuple[int, int]:
    """``"2/3"`` (the command line's ``--share``) as the 0-based part ``(1, 3)``."""
    try:
        part, parts = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--share takes PART/PARTS such as 1/2, got {text!r}.") from None
    if not 1 <= part <= parts:
        raise ValueError(f"--share {text}: PART must be between 1 and PARTS.")
    return part - 1, parts


def add_share_option(parser: argparse.ArgumentParser) -> None:
    """A study script's ``--share PART/PARTS``, parsed by :func:`parse_share` (argparse
    shows only an ``ArgumentTypeError``'s message, so a bad value is reported as one)."""
    def share(text):
        try:
            return parse_share(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parser.add_argument("--share", default="1/1", type=share, metavar="PART/PARTS",
                        help="run every PARTS-th run, from the PART-th, in this process; "
                             "start one process per part on the same --cache (part 1 "
                             "writes the results)")


def study_parser(description: str, from_csv_help: str,
                 out_help: str = "folder for the CSV and the summary") -> argparse.ArgumentParser:
    """The command line every study script shares: ``--cache``, ``--quick``, ``--out``,
    ``--from-csv`` (rebuild the summary without running) and ``--share``; a script adds
    its own options to the parser it gets."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cache", help="folder of one JSON file per run (required unless "
                                         "--from-csv)")
    parser.add_argument("--quick", action="store_true", help="tiny smoke grid")
    parser.add_argument("--out", help=out_help)
    parser.add_argument("--from-csv", action="store_true", help=from_csv_help)
    add_share_option(parser)
    return parser


def to_plain(value):
    """NumPy scalars and arrays, tuples and nested dicts as JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def choose_on_validation(runs: pd.DataFrame, curve: str | None, higher_is_better: bool = True,
                         final: str | None = None) -> dict:
    """The learning rate and number of epochs with the best validation metric,
    averaged over the runs (seeds, levels) that share a learning rate.

    ``runs`` has one row per run with ``learning_rate`` and ``epochs`` columns and
    a column ``curve`` holding the validation metric after every epoch (a list).
    Where a run has no curve (or ``curve`` is None), only its last epoch is
    known, read from column ``final``. Every learning rate must have the same
    number of runs behind it, or the means would compare different seeds.
    Returns ``{"learning_rate", "epochs", "score", "runs"}``."""
    counts = runs.groupby("learning_rate").size()
    if counts.nunique() != 1:
        raise ValueError(f"every learning rate needs the same runs to be compared; "
                         f"runs per rate: {counts.to_dict()}.")
    best = None
    for lr, group in runs.groupby("learning_rate"):
        curves = [_curve(row, curve, final) for _, row in group.iterrows()]
        length = min(len(c) for c in curves)
        mean = np.mean([c[:length] for c in curves], axis=0)  # NaN where an epoch is unknown
        for epoch_index, score in enumerate(mean):
            if np.isnan(score):
                continue
            if best is None or (score > best["score"] if higher_is_better
                                else score < best["score"]):
                best = dict(learning_rate=float(lr), epochs=epoch_index + 1,
                            score=float(score), runs=len(group))
    if best is None:
        raise ValueError(f"no validation metric to choose on: the runs hold no {curve!r} "
                         f"values{'' if final is None else f' and no {final!r}'}.")
    return best


def _curve(row, curve: str, final: str | None) -> np.ndarray:
    values = row.get(curve) if curve is not None else None
    if isinstance(values, (list, tuple, np.ndarray)) and len(values) > 0:
        return np.asarray(values, dtype=float)
    if final is None:
        raise ValueError(f"a run has no {curve!r} curve and no final metric was named; "
                         "pass final= the column of the last epoch's metric.")
    known = np.full(int(row["epochs"]), np.nan)
    known[-1] = row[final]
    return known
