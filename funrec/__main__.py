"""Command line: ``python -m funrec run mmoe`` and ``python -m funrec compare``.

The flags come from the option table in :mod:`funrec.options`, one per option of
``run_experiment``. Every flag of every model is checked before the first model
trains, and TensorFlow is imported only then, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .options import BY_NAME, GROUPS, MODEL_NAMES, check_model_name, flag_options, resolve

ERRORS = (ValueError, TypeError, OSError)


# ---------------------------------------------------------------- text to values
# Lenient on purpose: "1.5" becomes 1.5 so that funrec.options refuses it with the
# same message a Python caller gets, naming the option and what to pass.

def _number(text: str):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects a number, got {text!r}") from None


def _number_or_name(text: str):
    try:
        return _number(text)
    except argparse.ArgumentTypeError:
        return text  # a named level; funrec.options checks it


def _numbers(text: str) -> tuple:
    try:
        return tuple(_number(part) for part in text.split(",") if part.strip())
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expects layer widths as whole numbers separated by commas, e.g. 64,32; "
            f"got {text!r}") from None


def _names(text: str) -> list:
    return [part.strip() for part in text.split(",") if part.strip()]


def _weights(text: str) -> dict:
    weights = {}
    for part in _names(text):
        task, equals, weight = part.partition("=")
        if not equals:
            raise argparse.ArgumentTypeError(
                f"expects task=weight pairs separated by commas, e.g. is_click=1,long_view=2; "
                f"got {text!r}")
        weights[task.strip()] = _number(weight)
    return weights


def _jit_mode(text: str):
    modes = {"auto": "auto", "true": True, "false": False}
    if text.lower() not in modes:
        raise argparse.ArgumentTypeError(f"expects auto, true or false; got {text!r}")
    return modes[text.lower()]


PARSERS = {"count": _number, "budget": _number, "seed": _number, "positive": _number,
           "fraction": _number, "conflict": _number_or_name, "units": _numbers,
           "units_or_empty": _numbers, "tasks": _names, "loss_weights": _weights}


def _as_typed(value) -> str:
    """A default as one would type it on the command line."""
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value)) or '""'
    return str(value)


def _add_flag(group, option) -> None:
    text = option.help
    if option.default is not None:
        text += f" (default: {_as_typed(option.default)})"
    if option.models != MODEL_NAMES:
        text += f"; {', '.join(option.models)}"
    if option.kind == "bool":
        group.add_argument(option.flag_name, dest=option.name, action="store_const",
                           const=True, help=text)
    elif option.kind == "jit":
        group.add_argument(option.flag_name, dest=option.name, nargs="?", const=True,
                           type=_jit_mode, metavar="{auto,true,false}", help=text)
    elif option.kind == "choice":
        kind = type(option.choices[0])
        group.add_argument(option.flag_name, dest=option.name, type=kind,
                           choices=option.choices, help=text)
    else:
        group.add_argument(option.flag_name, dest=option.name, type=PARSERS[option.kind],
                           metavar=option.kind.upper().replace("_OR_EMPTY", ""), help=text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m funrec",
        description="Train multi-task ranking models and print their test metrics.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train one model and print its metrics")
    run.add_argument("model", help=f"one of: {', '.join(MODEL_NAMES)}")
    compare = commands.add_parser("compare", help="train several models, one row each")
    compare.add_argument("--models", default=",".join(MODEL_NAMES), type=_names,
                         help="comma-separated model names (default: all)")
    for sub in (run, compare):
        output = sub.add_argument_group("output")
        output.add_argument("--full", action="store_true",
                            help="print every column of the metrics table")
        output.add_argument("--csv", metavar="PATH", help="also write the full table here")
        groups = {g: sub.add_argument_group(f"{g} options") for g in GROUPS}
        groups["data"].add_argument(
            "--kuairand", metavar="DIR",
            help="folder of the real KuaiRand-1K CSVs instead of simulated data")
        for option in flag_options():
            _add_flag(groups[option.group], option)
    return parser


# ---------------------------------------------------------------- checks before training

def _given(args) -> dict:
    return {o.name: getattr(args, o.name) for o in flag_options()
            if getattr(args, o.name) is not None}


def _models(args) -> list[str]:
    names = [args.model] if args.command == "run" else args.models
    if not names:
        raise ValueError("--models is empty; name at least one model, e.g. --models mmoe,ple.")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"--models names {', '.join(twice)} more than once.")
    for name in names:
        check_model_name(name)
    return names


def _per_model(names, given: dict) -> dict:
    """Each model's overrides: in a comparison, the architecture flags it has.
    Every flag must reach at least one model, and every value is checked now."""
    per_model = {}
    for name in names:
        per_model[name] = {k: v for k, v in given.items()
                           if k not in BY_NAME or BY_NAME[k].group != "model"
                           or name in BY_NAME[k].models}
    unused = [k for k in given if not any(k in o for o in per_model.values())]
    if unused:
        raise ValueError("; ".join(f"{BY_NAME[k].flag_name} applies to "
                                   f"{', '.join(BY_NAME[k].models)} only" for k in unused)
                         + f", and {', '.join(names)} has no such option; leave it out.")
    return per_model


def _check_flags(args) -> tuple[list[str], dict]:
    """The models and each one's overrides, once the flags agree with each other."""
    names, given = _models(args), _given(args)
    if args.kuairand is not None:
        data_flags = [o.flag_name for o in flag_options() if o.group == "data" and o.name in given]
        if data_flags:
            raise ValueError(f"{', '.join(data_flags)} set the simulated data, but --kuairand "
                             f"reads real data; pass one or the other.")
    if args.csv is not None and not Path(args.csv).resolve().parent.is_dir():
        raise ValueError(f"--csv {args.csv}: the folder {Path(args.csv).parent} does not exist.")
    return names, _per_model(names, given)


def _configs(names, per_model, dataset) -> dict:
    """Every model's checked run (funrec.options.resolve), all before the first trains."""
    extra = {"show": False} if dataset is None else {"show": False, "dataset": dataset}
    return {name: resolve(name, {**per_model[name], **extra}) for name in names}


# ---------------------------------------------------------------- training and output

def _train(configs):
    from .experiment import run_config

    results = {}
    for i, (name, config) in enumerate(configs.items(), 1):
        data = "simulated data" if config.dataset is None else config.dataset.name
        print(f"[{i}/{len(configs)}] training {name} on {data} ...", end=" ", file=sys.stderr,
              flush=True)
        start = time.perf_counter()
        results[name] = run_config(config)[0]
        print(f"done in {time.perf_counter() - start:.1f} s, AUC macro "
              f"{results[name].table['auc_macro'].iloc[0]:.4f}", file=sys.stderr, flush=True)
    return results


def _print(args, results) -> None:
    from .report import (comparison, format_comparison, format_table, full_comparison,
                         metric_by_task)

    full = full_comparison(results)
    if args.command == "run":
        name, result = next(iter(results.items()))
        print(f"{name}: {result.n_params:,} parameters, test-day metrics "
              f"({len(result.test):,} rows)")
    if args.full:
        print(format_table(full))
    elif args.command == "run":
        print(metric_by_task(result.table))
    else:
        print(format_comparison(comparison(results)))
    if args.csv is not None:
        full.to_csv(args.csv, index=False)
        print(f"wrote the full table to {args.csv}", file=sys.stderr)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        names, per_model = _check_flags(args)
        dataset = None
        if args.kuairand is not None:  # the tasks and sizes to check the options against
            from .data import load_kuairand

            dataset = load_kuairand(args.kuairand)
        _print(args, _train(_configs(names, per_model, dataset)))
        return 0
    except ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
