"""Two ways to compute a group of experts: one batched product, or one product per expert.

    python benchmarks/expert_products.py [--rounds 3]
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/expert_products.py

``funrec.layers.Experts`` multiplies its input, broadcast to all K experts, by the
[K, d_in, d_out] kernel in one batched product. The other way multiplies it by each
expert's slice k in a plain product, as K separate Dense stacks would (DeepCTR's
way); the function is the same. For the shapes the book trains (the default models,
the widths of the capacity study, the MMoE paper's synthetic experiment) this prints:

* seconds for the forward and backward passes of an epoch's steps (the default log:
  264,505 training rows at batch 2,048; the synthetic experiment: 100,000 at 256),
  without XLA, median of ``--rounds`` interleaved rounds, for both ways;
* whether the outputs and the gradients of the kernels, the biases and the input
  (the embeddings below the experts, which train with them) agree bit for bit.

If they all agree, the faster way could replace the other without changing a published
number; where they do not, every result trained at that shape would have to be run
again. The studies ran with one thread per process: run it that way too to check them.
"""

import argparse
import os
import statistics
import time

import numpy as np

from funrec._tensorflow import tf
from funrec.layers import Experts

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


def per_expert(layer: Experts, x):
    """The same experts, one plain product per expert and layer."""
    copies = tf.unstack(tf.broadcast_to(x[None], [layer.num_experts, *x.shape]))
    outputs = []
    for k, h in enumerate(copies):
        for kernel, bias in zip(layer.kernels, layer.biases):
            h = layer.activation(tf.matmul(h, kernel[k]) + bias[k])
        outputs.append(h)
    return tf.stack(outputs)


def batched(layer: Experts, x):
    return layer(x)


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


def compare(layer, x, upstream, input_trains):
    """Names of the tensors that differ between the two ways (empty if none)."""
    results = [tf.function(lambda way=way: forward_backward(way, layer, x, upstream,
                                                             input_trains), autograph=False)()
               for way in (batched, per_expert)]
    names = ["output"] + [w.name for w in layer.weights] + ["input"]
    return [name for name, a, b in zip(names, *results)
            if not np.array_equal(a.numpy(), b.numpy())]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print("intra-op threads:", os.environ.get("TF_NUM_INTRAOP_THREADS", "all cores"))
    print("| trained at | K | d_in | units | batch | batched s/epoch | per expert s/epoch "
          "| per expert / batched | differ bit for bit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for where, k, d_in, units, batch, input_trains in CASES:
        layer, x, upstream = case_tensors(k, d_in, units, batch)
        steps = EPOCH_ROWS[batch] // batch
        times = {batched: [], per_expert: []}
        for round_ in range(args.rounds):  # interleaved, the first way alternating
            order = (batched, per_expert) if round_ % 2 == 0 else (per_expert, batched)
            for way in order:
                times[way].append(epoch_seconds(way, layer, x, upstream, input_trains, steps))
        slow, fast = (statistics.median(times[w]) for w in (batched, per_expert))
        differ = compare(layer, x, upstream, input_trains)
        print(f"| {where} | {k} | {d_in} | {units} | {batch} | {slow:.3f} | {fast:.3f} "
              f"| {fast / slow:.2f} | {', '.join(differ) or 'none'} |", flush=True)


if __name__ == "__main__":
    main()
