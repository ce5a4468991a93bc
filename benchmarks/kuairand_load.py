"""Time and peak memory of load_kuairand on a log of KuaiRand-1K's real size.

    python benchmarks/kuairand_load.py [--rows 10000000] [--keep DIR]

The real files cannot be downloaded here, so this writes files in the official
format first, in a temporary folder (or DIR, kept for another run): the
standard log's 19 columns (``log_standard_4_22_to_5_08_1k.csv``), the users'
31 (``user_features_1k.csv``, 1,000 users) and the videos' 12
(``video_features_basic_1k.csv``, 4,369,953 videos, as in KuaiRand-1K), with
ids, dates from 2022-04-22 to 2022-05-08, category values spelled as in the
real files, tag lists such as "8,17", some videos without a duration, and
popular videos drawn more often. Then a fresh Python process loads the folder;
it reports the wall time of ``load_kuairand`` and the process's peak resident
memory (VmHWM, which includes Python, NumPy and pandas themselves).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from funrec.data.kuairand import LOG_FILE, USER_FILE, VIDEO_FILE
from funrec.data.simulator import (FANS_USER_NUM_RANGE, FOLLOW_USER_NUM_RANGE, MUSIC_TYPE,
                                   REGISTER_DAYS_RANGE, UPLOAD_TYPE, USER_ACTIVE_DEGREE,
                                   VIDEO_TYPE)

N_USERS = 1_000
N_VIDEOS = 4_369_953  # videos in KuaiRand-1K's video_features_basic_1k.csv
CHUNK = 1_000_000
FIRST_DAY = pd.Timestamp("2022-04-22")
N_DAYS = 17


def write_users(path: Path, rng) -> None:
    n = N_USERS
    frame = pd.DataFrame({
        "user_id": np.arange(n),
        "user_active_degree": rng.choice(USER_ACTIVE_DEGREE, n),
        "is_lowactive_period": rng.integers(0, 2, n),
        "is_live_streamer": rng.integers(0, 2, n),
        "is_video_author": rng.integers(0, 2, n),
        "follow_user_num": rng.integers(0, 1000, n),
        "follow_user_num_range": rng.choice(FOLLOW_USER_NUM_RANGE, n),
        "fans_user_num": rng.integers(0, 1000, n),
        "fans_user_num_range": rng.choice(FANS_USER_NUM_RANGE, n),
        "friend_user_num": rng.integers(0, 100, n),
        "friend_user_num_range": rng.choice(("0", "[1,5)", "[5,30)", "[30,60)"), n),
        "register_days": rng.integers(15, 2000, n),
        "register_days_range": rng.choice(REGISTER_DAYS_RANGE, n),
        **{f"onehot_feat{i}": rng.integers(0, 10, n) for i in range(18)},
    })
    frame.to_csv(path, index=False)


def tags(rng, n: int) -> np.ndarray:
    """Tag lists as in the real file: one tag, two tags, or none."""
    first, second = rng.integers(0, 60, n).astype(str), rng.integers(0, 60, n).astype(str)
    kind = rng.random(n)
    out = np.where(kind < 0.3, np.char.add(np.char.add(first, ","), second), first)
    return np.where(kind > 0.98, "", out)


def write_videos(path: Path, rng) -> None:
    for start in range(0, N_VIDEOS, CHUNK):
        n = min(CHUNK, N_VIDEOS - start)
        duration = pd.array(rng.lognormal(np.log(20_000), 0.8, n).round(), dtype="Int64")
        duration[rng.random(n) < 0.01] = pd.NA
        frame = pd.DataFrame({
            "video_id": np.arange(start, start + n),
            "author_id": rng.integers(0, 400_000, n),
            "video_type": rng.choice(VIDEO_TYPE, n, p=[0.9, 0.1]),
            "upload_dt": (FIRST_DAY - pd.to_timedelta(rng.integers(0, 400, n), "D")
                          ).strftime("%Y-%m-%d"),
            "upload_type": rng.choice(UPLOAD_TYPE, n),
            "visible_status": "public",
            "video_duration": duration,
            "server_width": 720, "server_height": 1280,
            "music_id": rng.integers(0, 500_000, n),
            "music_type": rng.choice(MUSIC_TYPE, n),
            "tag": tags(rng, n),
        })
        frame.to_csv(path, index=False, header=start == 0, mode="w" if start == 0 else "a")


def write_log(path: Path, rows: int, rng) -> None:
    popularity = rng.pareto(1.5, N_VIDEOS) + 1
    cumulative = np.cumsum(popularity / popularity.sum())
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        day = rng.integers(0, N_DAYS, n)
        ms_of_day = rng.integers(0, 86_400_000, n)
        stamp = FIRST_DAY + pd.to_timedelta(day, "D")
        duration = rng.lognormal(np.log(20_000), 0.8, n).round().astype(np.int64)
        play = (duration * rng.random(n) * 1.5).astype(np.int64)
        frame = pd.DataFrame({
            "user_id": rng.integers(0, N_USERS, n),
            "video_id": np.minimum(np.searchsorted(cumulative, rng.random(n)), N_VIDEOS - 1),
            "date": stamp.strftime("%Y%m%d").astype(int),
            "hourmin": ms_of_day // 3_600_000 * 100,
            "time_ms": (stamp.to_numpy().astype("datetime64[ms]").astype(np.int64)
                        + ms_of_day - 8 * 3_600_000),
            "is_click": (rng.random(n) < 0.34).astype(np.int8),
            "is_like": (rng.random(n) < 0.02).astype(np.int8),
            "is_follow": (rng.random(n) < 0.002).astype(np.int8),
            "is_comment": (rng.random(n) < 0.003).astype(np.int8),
            "is_forward": (rng.random(n) < 0.001).astype(np.int8),
            "is_hate": (rng.random(n) < 0.0005).astype(np.int8),
            "long_view": (play > np.minimum(duration, 18_000)).astype(np.int8),
            "play_time_ms": play,
            "duration_ms": duration,
            "profile_stay_time": rng.integers(0, 2, n) * rng.integers(0, 60, n),
            "comment_stay_time": rng.integers(0, 2, n) * rng.integers(0, 60, n),
            "is_profile_enter": (rng.random(n) < 0.01).astype(np.int8),
            "is_rand": (rng.random(n) < 0.02).astype(np.int8),
            "tab": rng.integers(0, 15, n),
        })
        frame.to_csv(path, index=False, header=start == 0, mode="w" if start == 0 else "a")


LOAD = """
import json, sys, time
from funrec.data import load_kuairand

def vm(name):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name):
                return int(line.split()[1]) * 1024

before = vm("VmRSS:")
start = time.perf_counter()
data = load_kuairand(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps(dict(rows=len(data), seconds=seconds, rss_before=before,
                      peak=vm("VmHWM:"), users=int(data.vocab_sizes["user_id"] - 1),
                      videos=int(data.vocab_sizes["video_id"] - 1))))
"""


def measure(folder: Path) -> dict:
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", LOAD, str(folder)], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", metavar="DIR", help="write (or reuse) the files here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / LOG_FILE).is_file():
            rng = np.random.default_rng(0)
            start = time.perf_counter()
            write_users(folder / USER_FILE, rng)
            write_videos(folder / VIDEO_FILE, rng)
            write_log(folder / LOG_FILE, args.rows, rng)
            print(f"wrote the files in {time.perf_counter() - start:.0f} s")
        for name in (LOG_FILE, USER_FILE, VIDEO_FILE):
            print(f"{name}: {(folder / name).stat().st_size / 2**20:,.0f} MiB")
        result = measure(folder)
    gib = 2**30
    print(f"load_kuairand: {result['rows']:,} rows ({result['users']:,} users, "
          f"{result['videos']:,} videos) in {result['seconds']:.1f} s; peak resident memory "
          f"{result['peak'] / gib:.2f} GiB (of which {result['rss_before'] / gib:.2f} GiB "
          f"before loading: Python, NumPy, pandas)")


if __name__ == "__main__":
    main()
