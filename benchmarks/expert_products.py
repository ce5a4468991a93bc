"""Three ways to compute a group of experts: one batched product, one product per
expert, or the first layer as one wide product.

    python benchmarks/expert_products.py [--rounds 3]
    python benchmarks/expert_products.py --whole-models [--rounds 8]
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/expert_products.py

``funrec.layers.Experts`` multiplies its input, broadcast to all K experts, by the
[K, d_in, d_out] kernel in one batched product. The second way multiplies it by each
expert's slice k in a plain product, as K separate Dense stacks would (DeepCTR's
way). The third lays the K first-layer kernels side by side, [d_in, K * d_out], so
that the first layer, whose input all experts share, is one plain product of the
input by that wide matrix; the deeper layers stay batched. The function is the same
all three ways. For the shapes the book trains (the default models, the widths of the
capacity study, the MMoE paper's synthetic experiment) this prints:

* seconds for the forward and backward passes of an epoch's steps (the default log:
  264,505 training rows at batch 2,048; the synthetic experiment: 100,000 at 256),
  without XLA, median of ``--rounds`` interleaved rounds, for every way;
* whether each other way's outputs and gradients of the kernels, the biases and the
  input (the embeddings below the experts, which train with them) agree bit for bit
  with the batched product's.

``--whole-models`` times whole default models instead (MMoE, CGC, two-level PLE on
the default simulated log, the lean training path without XLA): one model per way in
one process, trained an epoch at a time with the ways taking turns, so that a noisy
machine slows every way alike; it prints the median epoch and the median of the
paired ratios over ``--rounds`` epochs after the first. The models are built and trained
with the public training API (``funrec.training``), not ``run_experiment``, for the
reason ``whole_model_epochs`` gives.

If they all agree, the faster way could replace the batched one without changing a
published number; where they do not, every result trained at that shape would have to
be run again. The studies ran with one thread per process: run it that way too to
check them.
"""

import argparse
import contextlib
import os
import statistics
import time

import numpy as np
import tensorflow as tf

import funrec.layers
from funrec import simulated_log
from funrec.features import feature_columns
from funrec.layers import Experts
from funrec.models import BUILDERS
from funrec.options import model_options
from funrec.training import Adam, Replica, fit_replicas, seed_initial_weights

# (where the shape is trained, experts K, input width, expert units, batch, trainable input)
CASES = [
    ("default MMoE", 4, 104, (64, 32), 2048, True),
    ("default CGC / PLE, shared", 2, 104, (64, 32), 2048, True),
    ("default CGC / PLE, one task's", 1, 104, (64, 32), 2048, True),
    ("capacity study, MMoE width 32", 4, 104, (8, 4), 2048, True),
    ("capacity study, CGC width 32", 2, 104, (7, 3), 2048, True),
    ("capacity study, PLE width 32", 2, 104, (6, 3), 2048, True),
    ("capacity study, MMoE width 128", 4, 104, (47, 23), 2048, True),
    ("capacity study, CGC width 128", 2, 104, (39, 19), 2048, True),
    ("capacity study, PLE width 128", 2, 104, (31, 15), 2048, True),
    ("MMoE paper's synthetic data", 8, 100, (16,), 256, False),
]
EPOCH_ROWS = {2048: 264_505, 256: 100_000}
LEARNING_RATE = 1e-2  # run_experiment's default; an epoch's time does not depend on it


def per_expert(layer: Experts, x):
    """The same experts, one plain product per expert and layer."""
    copies = tf.unstack(tf.broadcast_to(x[None], [layer.num_experts, *x.shape]))
    outputs = []
    for k, h in enumerate(copies):
        for kernel, bias in zip(layer.kernels, layer.biases):
            h = layer.activation(tf.matmul(h, kernel[k]) + bias[k])
        outputs.append(h)
    return tf.stack(outputs)


def wide_first_layer(layer: Experts, x):
    """The same experts, the first layer one product by the kernels side by side."""
    first = layer.kernels[0]
    k, d_in, d_out = first.shape
    wide = tf.reshape(tf.transpose(first, (1, 0, 2)), (d_in, k * d_out))
    h = tf.transpose(tf.reshape(tf.matmul(x, wide), (-1, k, d_out)), (1, 0, 2))
    h = layer.activation(h + layer.biases[0])
    for kernel, bias in zip(layer.kernels[1:], layer.biases[1:]):
        h = layer.activation(tf.matmul(h, kernel) + bias)
    return h


def batched(layer: Experts, x):
    return layer(x)


OTHER_WAYS = {"per expert": per_expert, "wide first layer": wide_first_layer}
WHOLE_MODELS = ("mmoe", "cgc", "ple")


def case_tensors(num_experts, d_in, units, batch, seed=0):
    rng = np.random.default_rng(seed)
    layer = Experts(num_experts, units)
    layer.build((None, d_in))
    x = tf.Variable(rng.standard_normal((batch, d_in)).astype(np.float32))
    upstream = tf.constant(rng.standard_normal((num_experts, batch, units[-1]))
                           .astype(np.float32))
    return layer, x, upstream


def forward_backward(way, layer, x, upstream, input_trains):
    with tf.GradientTape() as tape:
        out = way(layer, x)
        loss = tf.reduce_sum(out * upstream)
    sources = [w.value for w in layer.weights] + ([x] if input_trains else [])
    return [out] + tape.gradient(loss, sources)


def epoch_seconds(way, layer, x, upstream, input_trains, steps) -> float:
    @tf.function(autograph=False)
    def epoch():
        def body(i, total):
            grads = forward_backward(way, layer, x, upstream, input_trains)
            return i + 1, total + tf.add_n([tf.reduce_sum(g) for g in grads])
        return tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), tf.zeros([])))[1]
    epoch()  # trace
    start = time.perf_counter()
    epoch().numpy()
    return time.perf_counter() - start


def compare(layer, x, upstream, input_trains, other):
    """Names of the tensors that differ between the batched way and ``other`` (empty if none)."""
    results = [tf.function(lambda way=way: forward_backward(way, layer, x, upstream,
                                                             input_trains), autograph=False)()
               for way in (batched, other)]
    names = ["output"] + [w.name for w in layer.weights] + ["input"]
    return [name for name, a, b in zip(names, *results)
            if not np.array_equal(a.numpy(), b.numpy())]


def in_turn(ways, round_):
    """The ways in the order of this round: each goes first in turn."""
    start = round_ % len(ways)
    return ways[start:] + ways[:start]


def print_header(header: str):
    print(header)
    print("|---" * header.count(" |") + "|")


@contextlib.contextmanager
def experts_computed(way):
    """Models built in the block compute their experts ``way``."""
    class WayExperts(Experts):
        def call(self, x):
            return way(self, x)
    original = funrec.layers.Experts
    funrec.layers.Experts = WayExperts if way is not batched else original
    try:
        yield
    finally:
        funrec.layers.Experts = original


def replica_computing(way, name: str, columns, tasks) -> Replica:
    """Model ``name`` with its default options, its experts computed ``way``."""
    with experts_computed(way):
        seed_initial_weights(0)
        model = BUILDERS[name](columns, tasks, **model_options(name))
    return Replica(model, Adam(LEARNING_RATE), seed=0)


def whole_model_epochs(name: str, rounds: int, batch_size: int = 2048, **data) -> dict:
    """Seconds of each epoch after the first, per way, the ways taking turns, on the
    simulated log of ``data`` (run_experiment's data options; the default log without any).

    The training API rather than run_experiment, which trains a model to its last epoch
    in one call (the ways could not take turns epoch by epoch) and keeps traced steps
    by the model's options, which do not name the way (every way would train with the
    first way's step)."""
    tf.config.experimental.enable_op_determinism()  # as run_experiment trains
    log = simulated_log(**data)
    train, columns = log.split_by_date()[0], feature_columns(log)
    replicas = {way: replica_computing(way, name, columns, log.tasks)
                for way in (batched, *OTHER_WAYS.values())}
    ways, seconds = list(replicas), {way: [] for way in replicas}
    for round_ in range(rounds + 1):  # round 0 traces every way's step
        for way in in_turn(ways, round_):
            history = fit_replicas([replicas[way]], train, log.tasks, 1, batch_size,
                                   architecture=(name, way.__name__))[0]
            if round_:
                seconds[way].append(history["epoch_seconds"][0])
    return seconds


def print_whole_models(rounds: int):
    header = "| model | batched s/epoch |"
    for name in OTHER_WAYS:
        header += f" {name} s/epoch | {name} / batched, median of paired epochs |"
    print_header(header)
    for name in WHOLE_MODELS:
        seconds = whole_model_epochs(name, rounds)
        row = f"| {name} | {statistics.median(seconds[batched]):.2f} |"
        for way in OTHER_WAYS.values():
            paired = [t / b for t, b in zip(seconds[way], seconds[batched])]
            row += f" {statistics.median(seconds[way]):.2f} | {statistics.median(paired):.2f} |"
        print(row, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--whole-models", action="store_true",
                        help="time whole default models, epochs taking turns")
    args = parser.parse_args(argv)
    if args.whole_models:
        print_whole_models(args.rounds)
        return
    print("intra-op threads:", os.environ.get("TF_NUM_INTRAOP_THREADS", "all cores"))
    header = "| trained at | K | d_in | units | batch | batched s/epoch |"
    for name in OTHER_WAYS:
        header += f" {name} s/epoch | {name} / batched | {name} differs bit for bit in |"
    print_header(header)
    for where, k, d_in, units, batch, input_trains in CASES:
        layer, x, upstream = case_tensors(k, d_in, units, batch)
        steps = EPOCH_ROWS[batch] // batch
        ways = [batched, *OTHER_WAYS.values()]
        times = {way: [] for way in ways}
        for round_ in range(args.rounds):  # interleaved
            for way in in_turn(ways, round_):
                times[way].append(epoch_seconds(way, layer, x, upstream, input_trains, steps))
        base = statistics.median(times[batched])
        row = f"| {where} | {k} | {d_in} | {units} | {batch} | {base:.3f} |"
        for way in OTHER_WAYS.values():
            seconds = statistics.median(times[way])
            differ = compare(layer, x, upstream, input_trains, way)
            row += f" {seconds:.3f} | {seconds / base:.2f} | {', '.join(differ) or 'none'} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
