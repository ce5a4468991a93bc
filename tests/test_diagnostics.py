"""Gradient cosines between tasks, logged during training."""

import numpy as np

from funrec.diagnostics import expert_utilisation, train_with_cosines


def test_cosines_are_logged_every_few_steps_and_lie_in_minus_one_to_one():
    cosines, model, test = train_with_cosines("clickbait", n_rows=8_000, epochs=1,
                                              batch_size=512, every=3)
    steps = cosines.index.to_numpy()
    assert np.array_equal(steps, np.arange(0, steps.max() + 1, 3))
    assert list(cosines.columns) == ["is_click vs is_like", "is_click vs long_view",
                                     "is_like vs long_view"]
    assert ((cosines.to_numpy() >= -1) & (cosines.to_numpy() <= 1)).all()


def test_expert_utilisation_reads_an_even_and_a_collapsed_gate():
    gates = {(0, "even"): (["e0", "e1"], np.full((10, 2), 0.5)),
             (0, "collapsed"): (["e0", "e1"], np.tile([1.0, 0.0], (10, 1)))}
    table = expert_utilisation(gates).set_index("task")
    assert np.isclose(table.loc["even", "entropy"], np.log(2))
    assert table.loc["collapsed", "max_share"] == 1.0
