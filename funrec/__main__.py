"""Command line: ``python -m funrec run mmoe`` and ``python -m funrec compare``."""

from __future__ import annotations

import argparse
import sys
import time


def _units(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(u) for u in text.split(",") if u.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"layer widths are whole numbers separated by commas, e.g. 64,32; got {text!r}")


def _conflict(text: str):
    try:
        return float(text)
    except ValueError:
        return text  # a named level; the simulator checks it


OPTIONS = [  # flag, type, help
    ("--conflict", _conflict, "0 aligned .. 1 conflicting, or aligned/independent/conflicting"),
    ("--n-rows", int, "impressions to simulate"),
    ("--data-seed", int, "seed of the simulated data"),
    ("--epochs", int, "passes over the training days"),
    ("--batch-size", int, "rows per gradient step"),
    ("--learning-rate", float, "Adam learning rate"),
    ("--seed", int, "seed of initialisation and shuffling"),
    ("--sample-fraction", float, "train and test on a uniformly random share of the rows"),
    ("--param-budget", int, "scale layer widths to about this many parameters"),
    ("--num-experts", int, "experts (OMoE, MMoE)"),
    ("--num-levels", int, "extraction levels (PLE)"),
    ("--task-experts", int, "experts per task and level (CGC, PLE)"),
    ("--shared-experts", int, "shared experts per level (CGC, PLE)"),
    ("--expert-units", _units, "expert layer widths, e.g. 64,32"),
    ("--bottom-units", _units, "bottom layer widths (Shared-Bottom, single-task)"),
    ("--tower-units", _units, "tower layer widths"),
]


def _parser() -> argparse.ArgumentParser:
    from .experiment import MODEL_NAMES

    parser = argparse.ArgumentParser(
        prog="python -m funrec",
        description="Train multi-task ranking models and print their AUC/GAUC tables.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train one model and print its table")
    run.add_argument("model", help=f"one of: {', '.join(MODEL_NAMES)}")
    compare = commands.add_parser("compare", help="train several models, print one table")
    compare.add_argument("--models", default=",".join(MODEL_NAMES),
                         help="comma-separated model names (default: all)")
    for sub in (run, compare):
        sub.add_argument("--kuairand", metavar="DIR",
                         help="folder of the real KuaiRand-1K CSVs instead of simulated data")
        for flag, kind, text in OPTIONS:
            sub.add_argument(flag, type=kind, help=text)
    return parser


def _overrides(args) -> dict:
    overrides = {flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
                 for flag, _, _ in OPTIONS}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.kuairand:
        from .data import load_kuairand
        overrides["dataset"] = load_kuairand(args.kuairand)
    return overrides


def _applicable(name: str, overrides: dict) -> dict:
    """In a comparison, pass each model only the architecture flags it has."""
    from .experiment import option_names

    known = option_names(name)
    return {k: v for k, v in overrides.items() if k in known}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        from .experiment import format_table, run_experiment

        overrides = _overrides(args)
        if args.command == "run":
            print(f"training {args.model} ...", file=sys.stderr, flush=True)
            run_experiment(args.model, verbose=2, **overrides)
            return 0
        import pandas as pd

        names = [m.strip() for m in args.models.split(",") if m.strip()]
        rows = []
        for i, name in enumerate(names, 1):
            start = time.perf_counter()
            print(f"[{i}/{len(names)}] training {name} ...", end=" ", file=sys.stderr, flush=True)
            result = run_experiment(name, show=False, **_applicable(name, overrides))
            print(f"done in {time.perf_counter() - start:.1f} s, "
                  f"auc_macro {result.table['auc_macro'].iloc[0]:.4f}",
                  file=sys.stderr, flush=True)
            rows.append(result.table.assign(model=name, params=result.n_params))
        table = pd.concat(rows, ignore_index=True)
        print(format_table(table[["model", "params"] + [c for c in table if c not in
                                                        ("model", "params")]]))
        return 0
    except (ValueError, TypeError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
