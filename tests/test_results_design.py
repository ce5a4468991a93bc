"""The design the book quotes for each shipped study (funrec.results.DESIGN) is the grid
its benchmark script runs, so a number such as the study's row count is never typed twice."""

import pytest

from benchmark_scripts import load_benchmark
from funrec import results


@pytest.mark.parametrize("name", sorted(results.DESIGN))
def test_the_quoted_design_is_the_scripts_full_grid(name):
    assert results.DESIGN[name] == load_benchmark(name).FULL
