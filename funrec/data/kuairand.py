"""Loader for the real KuaiRand-1K data set (Gao et al., CIKM 2022).

KuaiRand is published at https://kuairand.com (files also on Zenodo); it cannot be
downloaded at run time here, so download ``KuaiRand-1K`` yourself, unpack it and
pass the folder that holds its ``data/*.csv`` files.

A standard log holds about ten million impressions. It is read column by column in
compact types (ids as integers, labels as int8, text as categories), and the user
and video features are encoded once per user and per video, then gathered for
each impression, never joined row by row: the whole log fits in a few GiB
(benchmarks/kuairand_load.py measures it). Every error names the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .encoding import duration_bucket, encode_categorical
from .simulator import CATEGORICAL_COLUMNS, MANY_TASKS, TASKS

LOG_FILE = "log_standard_4_22_to_5_08_1k.csv"
USER_FILE = "user_features_1k.csv"
VIDEO_FILE = "video_features_basic_1k.csv"
WHERE = "KuaiRand-1K is published at https://kuairand.com; download and unpack it first."
LABELS = MANY_TASKS  # the labels read when the log holds them (the simulator's names)
REQUIRED_LABELS = TASKS  # every log must hold these

# Column -> type read. Whole-number columns must have no gaps; "category" holds text.
LOG_COLUMNS = {"user_id": "int64", "video_id": "int64", "date": "int32"}  # and the labels
USER_COLUMNS = {"user_id": "int64", "user_active_degree": "category",
                "follow_user_num_range": "category", "register_days_range": "category",
                "fans_user_num_range": "category", "onehot_feat1": "category"}
VIDEO_COLUMNS = {"video_id": "int64", "author_id": "Int64", "video_type": "category",
                 "upload_type": "category", "music_type": "category", "tag": "category",
                 "video_duration": "float64"}
WHOLE = {"int64": "whole numbers", "Int64": "whole numbers", "int32": "whole numbers",
         "int8": "0 or 1", "float64": "numbers"}


class KuaiRandFileError(ValueError):
    """A KuaiRand file that exists but cannot be read as the official CSV."""


def _fail(path: Path, problem: str):
    return KuaiRandFileError(f"{path}: {problem}. Is it the official KuaiRand-1K file? {WHERE}")


def _open_check(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"KuaiRand file {path.name!r} not found in {path.parent}. "
                                f"{WHERE}")
    if not path.is_file():
        raise _fail(path, "is not a file")
    if path.stat().st_size == 0:
        raise _fail(path, "is empty (0 bytes); download it again")


def _csv(path: Path, **options) -> pd.DataFrame:
    """pd.read_csv, with the reader's and the codec's errors turned into ones
    that name the file and say what is wrong with it."""
    try:
        with warnings.catch_warnings():  # a failed cast warns before it raises; we explain it
            warnings.simplefilter("ignore", RuntimeWarning)
            return pd.read_csv(path, **options)
    except UnicodeDecodeError as error:
        raise _fail(path, f"is not UTF-8 text (byte {error.object[error.start]:#04x} at "
                          f"position {error.start:,}); it may be compressed, damaged or "
                          f"in another encoding") from None
    except pd.errors.EmptyDataError:
        raise _fail(path, "has no header row") from None
    except pd.errors.ParserError as error:
        raise _fail(path, f"is not a well-formed CSV file ({error})") from None
    except PermissionError as error:
        raise PermissionError(f"{path} cannot be read: {error.strerror}.") from None


def _bad_column(path: Path, columns: dict) -> str:
    """The first column that does not parse as its type (looked for after a failure)."""
    for column, kind in columns.items():
        try:
            _csv(path, usecols=[column], dtype={column: kind})
        except (ValueError, TypeError, OverflowError):
            return column
    return ""


def _read(folder: Path, filename: str, columns: dict) -> pd.DataFrame:
    path = folder / filename
    _open_check(path)
    header = _csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise _fail(path, f"lacks the column(s) {missing} (its header: "
                          f"{', '.join(map(str, header))[:200]!r})")
    try:
        return _csv(path, usecols=list(columns), dtype=columns)
    except KuaiRandFileError:
        raise
    except (ValueError, TypeError, OverflowError) as error:
        column = _bad_column(path, columns)
        if not column:
            raise _fail(path, f"cannot be read ({error})") from None
        raise _fail(path, f"column {column!r} must hold {WHOLE.get(columns[column], 'values')} "
                          f"in every row ({error})") from None


def _per_id(frame: pd.DataFrame, path: Path, column: str, ids: np.ndarray) -> pd.DataFrame:
    """The file's row for each id (in the order of ``ids``); empty where it has none."""
    if frame[column].duplicated().any():
        duplicate = frame.loc[frame[column].duplicated(), column].iloc[0]
        raise _fail(path, f"lists {column} {duplicate} more than once")
    return frame.set_index(column).reindex(ids)


def _check_log(log: pd.DataFrame, path: Path, tasks) -> None:
    for task in tasks:
        bad = ~log[task].isin([0, 1])
        if bad.any():
            raise _fail(path, f"label {task!r} holds values other than 0 and 1 "
                              f"(e.g. {log.loc[bad, task].iloc[0].item()}); KuaiRand labels are binary")
    days = pd.Series(np.unique(log["date"].to_numpy()))
    parsed = pd.to_datetime(days.astype(str), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        raise _fail(path, f"date {days[parsed.isna()].iloc[0]} is not a day written as "
                          f"YYYYMMDD (e.g. 20220508)")


def _first_tags(tag: pd.Series) -> pd.Categorical:
    """A video's first tag ("8,17" -> "8"), split once per distinct list of tags."""
    tag = tag.astype("category")
    codes = tag.cat.codes.to_numpy()  # -1 where a video has no tag
    firsts = pd.Series(tag.cat.categories.astype(str)).str.split(",").str[0]
    names = pd.Index(firsts.unique())
    positions = names.get_indexer(firsts)
    return pd.Categorical.from_codes(np.where(codes >= 0, positions[np.maximum(codes, 0)], -1),
                                     categories=names)


def _labels_held(folder: Path, log_files) -> list[str]:
    """The labels of :data:`LABELS` that every log file holds, and always the required
    ones (so a log without one of those is named by the read that follows)."""
    held = set(LABELS)
    for filename in log_files:
        path = folder / filename
        _open_check(path)
        held &= set(_csv(path, nrows=0).columns)
    return [t for t in LABELS if t in held or t in REQUIRED_LABELS]


def _log(folder: Path, log_files, tasks) -> pd.DataFrame:
    parts = []
    for filename in log_files:
        part = _read(folder, filename, {**LOG_COLUMNS, **{t: "int8" for t in tasks}})
        _check_log(part, folder / filename, tasks)
        parts.append(part)
    log = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    order = np.argsort(log["date"].to_numpy(), kind="stable")  # a log is read in time order
    return log.iloc[order].reset_index(drop=True)


def load_kuairand(folder, log_files=(LOG_FILE,), tasks=None) -> Dataset:
    """Read KuaiRand-1K CSVs from ``folder`` (or its ``data/`` subfolder).

    The labels are ``tasks`` or, by default, every one of ``is_click, is_like,
    long_view, is_follow, is_comment, is_forward`` that the log files hold (the
    official log holds all six; the first three are required).
    Rows are the impressions of the log files, in date order, with the user and
    video features of each; ``tag`` keeps a video's first tag and ``video_duration``
    becomes the same length bucket the simulator uses. Codes number the values that
    occur in the log, in sorted order, 0 for missing. No true probabilities exist
    for real data, so ``true_probs`` is ``None``. To train on a share of a large log,
    pass ``sample_fraction`` to ``run_experiment``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"KuaiRand folder {folder} does not exist. {WHERE}")
    if (folder / "data").is_dir() and not (folder / USER_FILE).is_file():
        folder = folder / "data"
    if tasks is not None and (isinstance(tasks, str) or not tasks
                              or any(t not in LABELS for t in tasks)):
        raise ValueError(f"tasks must be a non-empty list drawn from {list(LABELS)} "
                         f"(or None: every one the log holds), got {tasks!r}.")
    if isinstance(log_files, str):
        log_files = (log_files,)
    if tasks is None:
        tasks = _labels_held(folder, log_files)

    log = _log(folder, log_files, tasks)
    # Features are encoded once per distinct user and video of the log, then gathered
    # for every impression: the codes of a row-by-row join, without building it.
    user_ids, user_rows = np.unique(log["user_id"].to_numpy(), return_inverse=True)
    video_ids, video_rows = np.unique(log["video_id"].to_numpy(), return_inverse=True)
    users = _per_id(_read(folder, USER_FILE, USER_COLUMNS), folder / USER_FILE, "user_id",
                    user_ids)
    videos = _per_id(_read(folder, VIDEO_FILE, VIDEO_COLUMNS), folder / VIDEO_FILE,
                     "video_id", video_ids)
    users["user_id"], videos["video_id"] = user_ids, video_ids
    videos["tag"] = _first_tags(videos["tag"])
    duration = videos["video_duration"].to_numpy()
    videos["video_duration_bucket"] = pd.Series(
        duration_bucket(np.nan_to_num(duration)), index=videos.index).where(~np.isnan(duration))

    features, vocab = {}, {}
    for column in CATEGORICAL_COLUMNS:
        table, rows = (users, user_rows) if column in users else (videos, video_rows)
        codes, vocab[column] = encode_categorical(table[column])
        features[column] = codes[rows]
    return Dataset(
        features=features,
        labels={t: log[t].to_numpy(np.int8) for t in tasks},
        date=log["date"].to_numpy(np.int64),
        user_id=log["user_id"].to_numpy(np.int64),
        vocab_sizes=vocab, true_probs=None, name="kuairand-1k",
        description=dict(folder=str(folder), log_files=list(log_files)))
