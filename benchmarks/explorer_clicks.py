"""Seconds per click of the chapters' explorers: train, score, draw, as in the book.

    python benchmarks/explorer_clicks.py

Each explorer is clicked once to warm up (the first click also draws the tiny
data set), then once per setting below; the time is the whole update, from the
click to the drawn heatmap and table. The side-by-side chapter's explorer is two
``run_experiment`` calls on 30,000 impressions, timed the same way.
"""

import time

import matplotlib

matplotlib.use("Agg")

from funrec import run_experiment  # noqa: E402
from funrec.widgets import mmoe_explorer, ple_explorer  # noqa: E402


def click(explorer, **settings) -> float:
    for name, value in settings.items():
        explorer.controls[name].value = value
    start = time.perf_counter()
    explorer.update()
    return time.perf_counter() - start


mmoe, ple = mmoe_explorer(), ple_explorer()
click(mmoe)
click(ple)
for settings in (dict(model="mmoe", num_experts=4), dict(model="omoe", num_experts=4),
                 dict(model="mmoe", num_experts=8)):
    print(f"mmoe explorer {settings}: {click(mmoe, **settings):.1f} s", flush=True)
for levels in (1, 2, 3):
    print(f"ple explorer num_levels={levels}: {click(ple, num_levels=levels):.1f} s", flush=True)

for pair in (("shared_bottom", "mmoe"), ("mmoe", "ple"), ("ple", "single_task")):
    start = time.perf_counter()
    for name in pair:
        run_experiment(name, conflict="conflicting", n_rows=30_000, epochs=1, show=False)
    print(f"side-by-side explorer {pair}: {time.perf_counter() - start:.1f} s", flush=True)
