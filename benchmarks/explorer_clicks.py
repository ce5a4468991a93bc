"""Seconds per click of the chapters' explorers: train, score, draw, as in the book.

    python benchmarks/explorer_clicks.py

Each explorer is clicked once to warm up (the first click also draws the tiny
data set), then once per setting below; the time is the whole update, from the
click to the drawn heatmap and table. The side-by-side chapter's explorer is two
``run_experiment`` calls on 30,000 impressions, and the Shared-Bottom chapter's is
``funrec.diagnostics.train_with_cosines`` on 20,000 impressions; both are timed
without drawing.
"""

import contextlib
import io
import time

import matplotlib

matplotlib.use("Agg")

from funrec import run_experiment  # noqa: E402
from funrec.diagnostics import train_with_cosines  # noqa: E402
from funrec.widgets import mmoe_explorer, ple_explorer  # noqa: E402


def click(explorer, **settings) -> float:
    for name, value in settings.items():
        explorer.controls[name].value = value
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter it would print
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


tiny = dict(n_rows=20_000, epochs=1, batch_size=512, every=4)  # the chapter's explorer
train_with_cosines(1.0, **tiny)
for width in ((128, 64), (4,)):
    start = time.perf_counter()
    train_with_cosines(1.0, bottom_units=width, **tiny)
    print(f"shared-bottom explorer bottom={width}: {time.perf_counter() - start:.1f} s",
          flush=True)
