"""The cost-growth benchmark's own pieces, on tiny shapes (its timings are not tested)."""

import importlib.util
from pathlib import Path

from funrec._tensorflow import tf

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "cost_growth.py"
spec = importlib.util.spec_from_file_location("cost_growth", SCRIPT)
cost_growth = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cost_growth)


def test_bare_products_run_under_funrecs_op_determinism():
    # run_experiment turns op determinism on, and an unseeded tf.random op then
    # raises: the benchmark once stopped there after its first training run.
    tf.config.experimental.enable_op_determinism()
    seconds = cost_growth.matmul_step_seconds([(1, 8, 4), (3, 4, 2)], repeats=2)
    assert seconds > 0
