"""The cost-growth benchmark's own pieces, on tiny shapes (its timings are not tested)."""

import tensorflow as tf
from benchmark_scripts import load_benchmark

cost_growth = load_benchmark("cost_growth")


def test_bare_products_run_under_funrecs_op_determinism():
    # run_experiment turns op determinism on, and an unseeded tf.random op then
    # raises: the benchmark once stopped there after its first training run.
    tf.config.experimental.enable_op_determinism()
    seconds = cost_growth.matmul_step_seconds([(1, 8, 4), (3, 4, 2)], repeats=2)
    assert seconds > 0
