"""Gate plots from small synthetic gate dicts, and explorers that build without training."""

import html

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from funrec import plots, widgets  # noqa: E402


def softmax_rows(rng, rows, k):
    z = rng.normal(size=(rows, k))
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


@pytest.fixture
def mmoe_gates():
    rng = np.random.default_rng(0)
    names = [f"expert_{k}" for k in range(4)]
    return {(0, t): (names, softmax_rows(rng, 50, 4)) for t in ("is_click", "long_view")}


@pytest.fixture
def ple_gates():
    """Two levels: task gates see their own expert plus two shared; a shared gate below the top."""
    rng = np.random.default_rng(1)
    tasks, shared = ("a", "b"), ["shared_0", "shared_1"]
    gates = {}
    for level in (0, 1):
        for t in tasks:
            gates[(level, t)] = ([f"{t}_0", *shared], softmax_rows(rng, 40, 3))
    gates[(0, "shared")] = (["a_0", "b_0", *shared], softmax_rows(rng, 40, 4))
    return gates


def panels(fig):
    return [ax for ax in fig.axes if ax.images]


def test_gate_matrix_means_and_hidden_experts(ple_gates):
    tasks, experts, mean, std = plots.gate_matrix(ple_gates, level=0)
    assert tasks == ["a", "b", "shared"]
    assert experts == ["a_0", "shared_0", "shared_1", "b_0"]
    np.testing.assert_allclose(np.nansum(mean, axis=1), 1.0)   # each gate's mean sums to 1
    assert np.isnan(mean[0, experts.index("b_0")])               # task a cannot see b's expert
    assert np.all(std[~np.isnan(std)] >= 0)


def test_heatmap_has_one_panel_per_level(mmoe_gates, ple_gates):
    assert len(panels(plots.gate_heatmap(mmoe_gates))) == 1
    assert len(panels(plots.gate_heatmap(ple_gates))) == 2
    assert len(panels(plots.gate_heatmap(ple_gates, level=1))) == 1
    with pytest.raises(ValueError, match="no gates at level 5"):
        plots.gate_heatmap(ple_gates, level=5)
    plt.close("all")


def test_segment_heatmap_has_one_panel_per_gate(mmoe_gates, ple_gates):
    segment = np.tile([1, 2, 3], 20)  # longer than the 50 rows: cut to them
    fig = plots.gate_heatmap_by_segment(mmoe_gates, segment, labels=("x", "y", "z"))
    assert len(panels(fig)) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["x", "y", "z"]
    assert len(panels(plots.gate_heatmap_by_segment(ple_gates, segment[:40], level=0))) == 3
    means = plots.segment_means(mmoe_gates, segment)
    names, values, table = means["is_click"]
    assert list(values) == [1, 2, 3] and table.shape == (3, 4)
    plt.close("all")


def test_sweep_has_one_panel_per_run(mmoe_gates, ple_gates):
    fig = plots.sweep_heatmaps({"one": mmoe_gates, "two": ple_gates, "three": mmoe_gates})
    assert len(panels(fig)) == 3
    plt.close("all")


def test_explorers_build_without_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an explorer trained before its button was clicked")

    monkeypatch.setattr(widgets, "run_experiment", refuse)
    mmoe, ple = widgets.mmoe_explorer(), widgets.ple_explorer()
    assert set(mmoe.values()) == {"model", "num_experts", "conflict"}
    assert set(ple.values()) == {"num_levels", "task_experts", "shared_experts", "conflict"}
    assert mmoe.result is None and ple.result is None


def test_displaying_an_explorer_adds_its_default_result_for_the_static_book():
    explorer = widgets.mmoe_explorer(n_rows=12_000, batch_size=1024, expert_units=(8,),
                                     tower_units=(4,))
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle, "live in Jupyter and Colab"
    preview = bundle["text/html"]
    assert preview.count('<img src="data:image/png;base64,') == 1, "the gate heatmap"
    assert "runs live in Jupyter or Colab" in preview and "num_experts = 4" in preview
    assert "<table" in preview and explorer.table is not None
    assert explorer._repr_mimebundle_()["text/html"] == preview, "trained once, not per display"
    assert f'alt="{html.escape(widgets.GATES_ALT)}"' in preview, "says what the figure shows"


def test_one_update_trains_and_fills_the_table():
    explorer = widgets.ple_explorer(n_rows=12_000, batch_size=1024, expert_units=(8,),
                                    tower_units=(4,))
    explorer.controls["num_levels"].value = 2
    table = explorer.update()
    assert list(table.index) == ["is_click", "is_like", "long_view", "macro"]
    assert table["AUC"].between(0, 1).all()
    assert len(panels(explorer.figure)) == 2
    assert not explorer.button.disabled
