"""After how many training steps XLA pays for its compiling, per architecture.

    python benchmarks/xla_break_even.py [--rounds 3] [--models mmoe,ple]

``jit_compile="auto"`` (the default) compiles a run's training step with XLA when the
run trains for at least ``funrec.experiment.XLA_BREAK_EVEN_STEPS[model]`` steps; this
script measures those numbers. For each model at its default size on the default
simulated log (batch 2,048, 129 steps an epoch), in rounds that take the two ways in
turn (so a noisy machine slows both alike), it trains 3 epochs with
``jit_compile=False`` and with ``True``, each time with the kept traced steps
forgotten, so that tracing and compiling are paid as in a fresh process. Per way:

* the steady seconds per step: the mean of epochs 2 and 3 over their steps;
* the fixed cost: the whole training time less 3 steady epochs (tracing, and with XLA
  compiling, which happens at the first call).

The break-even is the extra fixed cost of XLA over the seconds it saves per step.
Printed: per model the medians over rounds and the break-even in steps and in
epochs of the default log.
"""

from __future__ import annotations

import argparse
import statistics

from funrec import MODEL_NAMES, run_experiment, training

EPOCHS = 3


def measure(name: str, jit_compile: bool) -> tuple[float, float]:
    """(fixed seconds, steady seconds per step) of one 3-epoch run."""
    training.forget_traced_steps()
    result = run_experiment(name, epochs=EPOCHS, jit_compile=jit_compile, show=False)
    history = result.history
    steps = history["rows"][0] // result.config["batch_size"]
    steady_epoch = statistics.mean(history["epoch_seconds"][1:])
    fixed = result.seconds["train"] - EPOCHS * steady_epoch
    return fixed, steady_epoch / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODEL_NAMES))
    args = parser.parse_args()
    names = args.models.split(",")
    run_experiment(names[0], epochs=1, show=False)  # draw the log once, outside the timings
    found = {name: {False: [], True: []} for name in names}
    for round_ in range(args.rounds):
        for name in names:
            for jit_compile in ((False, True) if round_ % 2 == 0 else (True, False)):
                found[name][jit_compile].append(measure(name, jit_compile))
    print("| model | fixed s, no XLA | fixed s, XLA | ms/step, no XLA | ms/step, XLA "
          "| break-even steps | epochs of the default log | rounds |")
    print("|---" * 8 + "|")
    for name in names:
        plain, compiled = ({k: statistics.median(v[i] for v in found[name][jit])
                            for i, k in enumerate(("fixed", "step"))}
                           for jit in (False, True))
        saved = plain["step"] - compiled["step"]
        extra = compiled["fixed"] - plain["fixed"]
        steps = extra / saved if saved > 0 else float("inf")
        print(f"| {name} | {plain['fixed']:.2f} | {compiled['fixed']:.2f} "
              f"| {1000 * plain['step']:.2f} | {1000 * compiled['step']:.2f} "
              f"| {steps:.0f} | {steps / 129:.1f} | {args.rounds} |", flush=True)


if __name__ == "__main__":
    main()
