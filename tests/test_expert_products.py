"""The expert-products benchmark's own pieces, on tiny shapes (its timings are not tested)."""

import numpy as np
import pytest
from benchmark_scripts import load_benchmark

expert_products = load_benchmark("expert_products")


@pytest.mark.parametrize("name", sorted(expert_products.OTHER_WAYS))
def test_every_way_computes_the_same_experts_and_their_gradients(name):
    # The comparison is only worth reading if the other way is the same function.
    layer, x, upstream = expert_products.case_tensors(3, 12, (16, 8), batch=64)
    ways = [expert_products.forward_backward(way, layer, x, upstream, input_trains=True)
            for way in (expert_products.batched, expert_products.OTHER_WAYS[name])]
    assert len(ways[0]) == len(ways[1]) == 6  # output, 2 kernels, 2 biases, input
    for batched, other in zip(*ways):
        np.testing.assert_allclose(other.numpy(), batched.numpy(), rtol=1e-5, atol=1e-5)


def test_compare_names_exactly_the_tensors_that_differ():
    # A constant shifts the output and leaves every gradient as it was.
    shifted = lambda layer, x: expert_products.batched(layer, x) + 1.0  # noqa: E731
    layer, x, upstream = expert_products.case_tensors(2, 12, (8,), batch=32)
    assert expert_products.compare(layer, x, upstream, True, shifted) == ["output"]
    assert expert_products.compare(layer, x, upstream, True, expert_products.batched) == []
