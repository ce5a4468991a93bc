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


def test_models_built_in_the_block_compute_their_experts_the_other_way():
    import funrec.layers
    original = funrec.layers.Experts
    x = np.random.default_rng(0).standard_normal((64, 12)).astype("float32")
    with expert_products.experts_computed(expert_products.wide_first_layer):
        layer = funrec.layers.Experts(3, (16, 8))  # as the builders reach it
    assert funrec.layers.Experts is original
    assert isinstance(layer, original) and type(layer).call is not original.call
    np.testing.assert_allclose(layer(x).numpy(), original.call(layer, x).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_whole_models_take_turns_and_time_every_epoch_after_the_first():
    seconds = expert_products.whole_model_epochs("mmoe", rounds=2, n_rows=8_000,
                                                 batch_size=512)
    assert [way.__name__ for way in seconds] == ["batched", "per_expert", "wide_first_layer"]
    assert all(len(times) == 2 and min(times) > 0 for times in seconds.values())
