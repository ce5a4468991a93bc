"""The gates map's pieces (benchmarks/gates_map.py): its sizes, its cheap gate, its
choice of settings with grids that extend where they bind, and its primary table."""

import math

import numpy as np
import pandas as pd
import pytest
from benchmark_scripts import load_benchmark
from lab import RunCache

gates_map = load_benchmark("gates_map")


def test_budget_arms_fit_the_shared_bottoms_dense_budget_and_are_the_widest_that_do():
    regime = "clickbait_narrow"
    story = gates_map.REGIMES[regime]["story"]
    budget = gates_map.dense_size("shared_bottom", story,
                                  gates_map.arm_options(regime, "shared_bottom", "budget"))
    for arm in ("omoe", "mmoe", "cgc", "ple", "mmoe_profile"):
        options = gates_map.arm_options(regime, arm, "budget")
        assert gates_map.dense_size(arm, story, options) <= budget, arm
        wider = options["expert_units"][0] + 1
        assert gates_map.dense_size(arm, story, gates_map.gated_options(
            arm, (wider, wider // 2))) > budget, arm


def test_a_budget_shared_bottom_equal_to_the_usual_one_runs_once():
    assert ("shared_bottom", "budget") not in gates_map.cells("segments")
    assert gates_map.same_run("segments", "shared_bottom", "budget") == "usual"
    assert ("shared_bottom", "budget") in gates_map.cells("clickbait_narrow")
    assert ("single_task", "budget") not in gates_map.cells("clickbait_narrow")


def test_the_profile_gate_reads_the_five_profile_fields_only():
    start, stop = gates_map.profile_slice()
    names = [c.name for c in gates_map.columns("segments")]
    assert names[start // 8:stop // 8] == list(gates_map.PROFILE_FIELDS)
    sizes = gates_map.model_sizes("mmoe", list(gates_map.columns("segments")),
                                  ["is_click", "is_like", "long_view"],
                                  **gates_map.gated_options("mmoe_profile", (8, 4)))
    assert sizes["gates"] == 3 * 40 * 4  # a 40-input softmax over 4 experts per task


def test_an_mmoe_with_the_profile_gate_trains():
    from funrec import run_experiment

    result = run_experiment("mmoe", n_rows=3_000, epochs=1, show=False,
                            **gates_map.gated_options("mmoe_profile", (8, 4)))
    assert np.isfinite(result.table["auc_macro"].item())
    from funrec.models import gate_layers

    kernels = [v.shape for g in gate_layers(result.model) for v in g.trainable_variables]
    assert kernels == [(40, 4)] * 3  # each task's gate: the profile's 40 inputs, 4 experts


def curve_record(lr, epochs, best_epoch, best_lr):
    """A validation curve that peaks at ``best_epoch`` for ``best_lr``, lower elsewhere."""
    peak = 0.8 if lr == best_lr else 0.7
    curve = [peak - 0.01 * abs(e + 1 - best_epoch) for e in range(epochs)]
    return dict(test={}, valid={"auc_macro": curve[-1]}, history={"valid_auc_macro": curve})


@pytest.mark.parametrize("best_epoch, best_lr, epochs, rate, extended", [
    (3, 1e-2, 3, 1e-2, "none"),
    (8, 1e-2, 8, 1e-2, "epochs to 10"),        # the last epoch: longer runs
    (3, 3e-2, 3, 3e-2, "rate 0.1"),            # the highest rate: one more above it
    (3, 1e-3, 3, 1e-3, "rate 0.001"),          # the lowest rate: one more below it
])
def test_tuning_extends_a_grid_that_binds(tmp_path, best_epoch, best_lr, epochs, rate, extended):
    cache = RunCache(tmp_path)
    study = gates_map.Study(gates_map.FULL, cache, start=0.0)

    def fake_run(key, compute):
        if cache.get(key) is None:
            cache.put(key, curve_record(key["learning_rate"], key["epochs"], best_epoch,
                                        best_lr))
        return cache.get(key), True

    cache.run = fake_run
    chosen = study.tuned("segments", "mmoe", "usual")
    assert (chosen["epochs"], chosen["learning_rate"], chosen["extended"]) == (
        epochs, rate, extended)


def frame_of(differences):
    """A gates-map table where, per regime, MMoE leads by ``differences`` (per seed)."""
    rows = []
    for regime, spec in gates_map.REGIMES.items():
        for seed, lead in enumerate(differences):
            for arm, size, auc in (("shared_bottom", "usual", 0.7), ("omoe", "usual", 0.7),
                                   ("mmoe", "usual", 0.7 + lead),
                                   ("shared_bottom", "budget", 0.7),
                                   ("mmoe_profile", "budget", 0.7)):
                rows.append(dict(regime=regime, level=spec["far"], model=arm, size=size,
                                 seed=seed, auc_macro=auc))
    return pd.DataFrame(rows)


def test_the_primary_table_holds_nine_tests_with_holms_adjustment():
    table = gates_map.primary_table(frame_of([0.01, 0.02, 0.015, 0.012, 0.018]))
    assert len(table) == 9 and set(table.comparison) == {name for name, *_ in gates_map.PRIMARY}
    led = table[table.comparison != "mmoe_profile - shared_bottom"]
    assert np.allclose(led.loc[led.comparison == "mmoe - omoe", "mean"], 1.5)
    assert (led.p_holm >= led.p).all() and (led.p_holm <= 1).all()
    nothing = table[table.comparison == "mmoe_profile - shared_bottom"]
    assert nothing.p.map(math.isnan).all() and (nothing.seeds == 5).all()


def test_the_forest_plot_draws_one_row_per_comparison_and_darkens_clear_ones():
    import matplotlib

    matplotlib.use("Agg")
    from funrec import plots

    table = gates_map.primary_table(frame_of([0.01, 0.02, 0.015, 0.012, 0.018]))
    table = table.fillna({"low": 0.0, "high": 0.0})
    fig = plots.forest_plot(table)
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == 9
    colors = {line.get_color() for line in ax.lines if len(line.get_xdata()) == 2
              and line.get_xdata()[0] != line.get_xdata()[1]}
    assert colors == {"tab:blue"}  # the six clear MMoE leads; the three zeros have no bar


def test_the_shipped_summary_is_rebuilt_from_its_tables_byte_for_byte(tmp_path):
    import shutil

    for name in ("gates_map.csv", "gates_map_primary.csv", "gates_map_choices.csv",
                 "gates_map.md"):
        shutil.copy(gates_map.RESULTS / name, tmp_path / name)
    gates_map.main(["--from-csv", "--out", str(tmp_path)])
    assert (tmp_path / "gates_map.md").read_text() == (gates_map.RESULTS / "gates_map.md").read_text()
    shipped = pd.read_csv(gates_map.RESULTS / "gates_map_primary.csv")
    rebuilt = gates_map.primary_table(pd.read_csv(gates_map.RESULTS / "gates_map.csv"))
    pd.testing.assert_frame_equal(shipped, rebuilt, check_exact=False, rtol=1e-12)
