"""Loader for the real KuaiRand-1K data set (Gao et al., CIKM 2022).

KuaiRand is published at https://kuairand.com (files also on Zenodo); it cannot be
downloaded at run time here, so download ``KuaiRand-1K`` yourself, unpack it and
pass the folder that holds its ``data/*.csv`` files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .encoding import duration_bucket, encode_categorical
from .simulator import CATEGORICAL_COLUMNS, TASKS

LOG_FILE = "log_standard_4_22_to_5_08_1k.csv"
USER_FILE = "user_features_1k.csv"
VIDEO_FILE = "video_features_basic_1k.csv"
WHERE = "KuaiRand-1K is published at https://kuairand.com; download and unpack it first."

USER_COLUMNS = ("user_id", "user_active_degree", "follow_user_num_range",
                "register_days_range", "fans_user_num_range", "onehot_feat1")
VIDEO_COLUMNS = ("video_id", "author_id", "video_type", "upload_type", "music_type", "tag",
                 "video_duration")
LOG_COLUMNS = ("user_id", "video_id", "date") + TASKS


def _read(folder: Path, filename: str, columns) -> pd.DataFrame:
    path = folder / filename
    if not path.is_file():
        raise FileNotFoundError(f"KuaiRand file {filename!r} not found in {folder}. {WHERE}")
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {missing}; is it the official "
                         f"KuaiRand-1K file? {WHERE}")
    return pd.read_csv(path, usecols=list(columns))


def load_kuairand(folder, log_files=(LOG_FILE,), tasks=TASKS) -> Dataset:
    """Read KuaiRand-1K CSVs from ``folder`` (or its ``data/`` subfolder).

    Rows are the impressions of the log files joined to the user and video
    features; ``tag`` keeps a video's first tag and ``video_duration`` becomes
    the same length bucket the simulator uses. No true probabilities exist for
    real data, so ``true_probs`` is ``None``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"KuaiRand folder {folder} does not exist. {WHERE}")
    if (folder / "data").is_dir() and not (folder / USER_FILE).is_file():
        folder = folder / "data"
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise ValueError(f"tasks must be a non-empty subset of {list(TASKS)}, got {list(tasks)}.")

    log = pd.concat([_read(folder, f, LOG_COLUMNS) for f in log_files], ignore_index=True)
    users = _read(folder, USER_FILE, USER_COLUMNS)
    videos = _read(folder, VIDEO_FILE, VIDEO_COLUMNS)
    videos["tag"] = videos["tag"].astype("string").str.split(",").str[0]
    length = pd.Series(duration_bucket(videos["video_duration"].fillna(0)), index=videos.index)
    videos["video_duration_bucket"] = length.where(videos["video_duration"].notna())
    rows = (log.merge(users, on="user_id", how="left")
               .merge(videos.drop(columns="video_duration"), on="video_id", how="left")
               .sort_values("date", kind="stable").reset_index(drop=True))

    for task in tasks:
        bad = ~rows[task].isin([0, 1])
        if bad.any():
            raise ValueError(f"label {task!r} holds values other than 0 and 1 "
                             f"(e.g. {rows.loc[bad, task].iloc[0]!r}); KuaiRand labels are binary.")
    features, vocab = {}, {}
    for column in CATEGORICAL_COLUMNS:
        features[column], vocab[column] = encode_categorical(rows[column])
    return Dataset(
        features=features,
        labels={t: rows[t].to_numpy(np.int8) for t in tasks},
        date=rows["date"].to_numpy(np.int64),
        user_id=rows["user_id"].to_numpy(np.int64),
        vocab_sizes=vocab, true_probs=None, name="kuairand-1k",
        description=dict(folder=str(folder), log_files=list(log_files)))
