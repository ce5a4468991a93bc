"""Seconds per click of the chapters' explorers, each click trained on the spot.

    python benchmarks/explorer_clicks.py [--repeats 3]

Every explorer is clicked as a reader would: its settings below in turn, ``--repeats``
times over (each click trains its model from fresh weights; no result is looked up),
after one warm-up click that also draws the tiny simulated log. After the warm-up the
kept training steps are forgotten, so the first round shows what a reader's first
click on a setting costs (its training step is traced); later clicks on a setting
reuse that step (funrec.training's ``architecture``). A click is timed from the
button to the drawn figure and table for the MMoE and PLE explorers (their own
``update``); the Shared-Bottom chapter's explorer (``train_with_cosines`` on the
clickbait story) and the side-by-side explorer (two ``run_experiment`` calls) are
timed without drawing, with the same arguments as their chapters. Printed: every
click, then per setting the first click, the median of the later ones and the median
of all, and the same per explorer.
"""

import argparse
import contextlib
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from funrec import run_experiment, training  # noqa: E402
from funrec.diagnostics import train_with_cosines  # noqa: E402
from funrec.widgets import TINY, mmoe_explorer, ple_explorer  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # outside Jupyter an explorer prints
        action()
    return time.perf_counter() - start


def clicker(explorer):
    """A click on ``explorer`` with the given control values."""
    def click(**settings):
        for name, value in settings.items():
            explorer.controls[name].value = value
        explorer.update()
    return click


def side_by_side(conflict, models):
    for name in models:
        run_experiment(name, conflict=conflict, show=False, **TINY)


def cosines(conflict, bottom_units):
    train_with_cosines(conflict, story="clickbait", bottom_units=bottom_units, **TINY)


EXPLORERS = {
    "MMoE chapter": (clicker(mmoe_explorer()), [
        dict(model="mmoe", num_experts=4), dict(model="omoe", num_experts=4),
        dict(model="mmoe", num_experts=8)]),
    "PLE chapter": (clicker(ple_explorer()), [
        dict(num_levels=1), dict(num_levels=2), dict(num_levels=3)]),
    "Shared-Bottom chapter": (cosines, [
        dict(conflict=1.0, bottom_units=(128, 64)), dict(conflict=1.0, bottom_units=(4,))]),
    "side by side": (side_by_side, [
        dict(conflict="partly_shared", models=("shared_bottom", "mmoe")),
        dict(conflict="partly_shared", models=("mmoe", "ple")),
        dict(conflict="clickbait", models=("ple", "single_task"))]),
}


def medians(clicks: list[list[float]]) -> str:
    """Table cells for some settings' clicks (each list in click order): the median
    first click, the median of the later clicks and the median of all."""
    first = [c[0] for c in clicks]
    later = [t for c in clicks for t in c[1:]]
    return " | ".join(f"{statistics.median(v):.1f}" if v else "-"
                      for v in (first, later, first + later))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="clicks per setting (default 3)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}.")
    summary = []
    for explorer, (click, settings) in EXPLORERS.items():
        timed(lambda: click(**settings[0]))  # warm-up: draws the data, imports
        training.forget_traced_steps()  # so that every setting's first click traces
        seconds = {i: [] for i in range(len(settings))}
        for _ in range(args.repeats):
            for i, setting in enumerate(settings):
                seconds[i].append(timed(lambda: click(**setting)))
                print(f"{explorer} {setting}: {seconds[i][-1]:.1f} s", flush=True)
        for i, setting in enumerate(settings):
            summary.append(f"| {explorer} | {setting} | {medians([seconds[i]])} |")
        summary.append(f"| {explorer} | all settings | {medians(list(seconds.values()))} |")
    print(f"\nSeconds per click ({args.repeats} clicks per setting; medians):\n")
    print("| explorer | setting | first click | later clicks | all clicks |\n"
          "|---|---|---|---|---|")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
