"""How training cost grows with experts, levels and rows, beside the arithmetic.

    python benchmarks/cost_growth.py [--quick]

For each setting: seconds per steady epoch (the mean of epochs 2 and 3, so tracing,
which falls in epoch 1, is left out), the multiply-adds per row of the dense
layers (experts, gates, bottoms, towers; embeddings are look-ups, not products),
the training arithmetic per row (2 FLOPs a multiply-add, three matrix products
per layer: the forward one and the two of the backward pass), and the share of
this machine's matrix-multiply rate the model reaches: the time bare ``tf.matmul``
calls of the model's own shapes take for one step, over the time a training step
takes. Default simulated data, batch 2,048, seed 0. Each setting is trained twice,
without XLA and with it (``jit_compile`` False, then True), so the table shows what
compiling the step buys at each size and how close each way comes to the products'
own rate: the products' time, the faster of bare ``tf.matmul`` calls in a traced function
and the same calls compiled by XLA, over the epoch's time (the floor that no framework
goes below on this machine at these shapes).
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from funrec import run_experiment

BATCH = 2048


def kernel_shapes(model):
    """(experts, d_in, d_out) of every dense kernel: Dense layers, experts, gates."""
    shapes = []
    for variable in model.trainable_variables:
        if variable.path.split("/")[0].endswith("embeddings") or len(variable.shape) < 2:
            continue
        shape = tuple(variable.shape)
        shapes.append(shape if len(shape) == 3 else (1, *shape))
    return shapes


def matmul_step_seconds(shapes, repeats=20, jit_compile=False) -> float:
    """Seconds the three products per layer of one training step take in bare TF
    (``jit_compile``: the products compiled by XLA as one program)."""
    # NumPy draws them: funrec turns on TensorFlow's op determinism, under which an
    # unseeded tf.random op raises.
    rng = np.random.default_rng(0)
    normal = lambda *shape: tf.constant(rng.standard_normal(shape, np.float32))  # noqa: E731
    tensors = [(normal(k, BATCH, d_in), normal(k, d_in, d_out), normal(k, BATCH, d_out))
               for k, d_in, d_out in shapes]

    @tf.function(jit_compile=jit_compile)
    def products():  # y = x W, dx = dy W^T, dW = x^T dy
        return [(tf.matmul(x, w), tf.matmul(dy, w, transpose_b=True),
                 tf.matmul(x, dy, transpose_a=True)) for x, w, dy in tensors]

    products()
    start = time.perf_counter()
    for _ in range(repeats):
        out = products()
    out[0][0].numpy()
    return (time.perf_counter() - start) / repeats


def measure(name, jit_compile, **overrides) -> dict:
    result = run_experiment(name, show=False, epochs=3, batch_size=BATCH,
                            jit_compile=jit_compile, **overrides)
    epoch = float(np.mean(result.history["epoch_seconds"][1:]))
    steps = result.history["rows"][0] // BATCH
    shapes = kernel_shapes(result.model)
    macs = sum(k * d_in * d_out for k, d_in, d_out in shapes)
    return dict(setting=f"{name} " + " ".join(f"{k}={v}" for k, v in overrides.items()),
                rows=result.config["n_rows"], params=result.n_params, epoch_s=epoch,
                us_per_row=1e6 * epoch / result.history["rows"][0], macs_per_row=macs,
                kflops_per_row=6 * macs / 1e3,
                gflops=6 * macs * result.history["rows"][0] / epoch / 1e9,
                matmul_seconds=steps * min(matmul_step_seconds(shapes, jit_compile=j)
                                           for j in (False, True)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few small settings only")
    args = parser.parse_args()
    rows = (100_000,) if args.quick else (100_000, 300_000, 1_000_000)
    settings = [("mmoe", dict(num_experts=k)) for k in ((2, 4) if args.quick else (2, 4, 8, 16))]
    settings += [("ple", dict(num_levels=n)) for n in ((1,) if args.quick else (1, 2, 3))]
    settings += [("mmoe", dict(n_rows=n)) for n in rows]
    print("| setting | rows | params | mult-adds/row | train kFLOP/row | s/epoch | µs/row "
          "| GFLOP/s | share of matmul rate | s/epoch, XLA | GFLOP/s, XLA "
          "| share of matmul rate, XLA |")
    print("|---" * 12 + "|")
    for name, overrides in settings:
        plain, xla = (measure(name, jit, **overrides) for jit in (False, True))
        floor = min(plain["matmul_seconds"], xla["matmul_seconds"])  # the faster bare way
        print(f"| {plain['setting']} | {plain['rows']:,} | {plain['params']:,} "
              f"| {plain['macs_per_row']:,} | {plain['kflops_per_row']:.0f} "
              f"| {plain['epoch_s']:.2f} | {plain['us_per_row']:.1f} | {plain['gflops']:.1f} "
              f"| {floor / plain['epoch_s']:.0%} | {xla['epoch_s']:.2f} | {xla['gflops']:.1f} "
              f"| {floor / xla['epoch_s']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
