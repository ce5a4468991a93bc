"""The DeepCTR comparison's own logic: options, DeepCTR's options, data file, statistics.

Training DeepCTR needs its own venv outside the repository, so the runs themselves
are not tested here; ``benchmarks/vs_deepctr.py --quick`` is their smoke test."""

import subprocess
import sys

import numpy as np
import pytest
from benchmark_scripts import load_benchmark

from funrec.options import model_options

vs = load_benchmark("vs_deepctr")


def options(*argv):
    return vs.parse_options(["--deepctr-python", sys.executable, *argv])


def test_quick_and_full_defaults_and_explicit_values_win():
    quick = options("--quick", "--seeds", "3")
    assert (quick.rows, quick.epochs, quick.seeds) == (20_000, 2, 3)
    assert vs.check_options(options("--models", "mmoe, ple")) == ["mmoe", "ple"]


@pytest.mark.parametrize("argv, message", [
    (["--models", "omoe"], "--models must name models DeepCTR also has"),
    (["--models", ""], "--models must name models DeepCTR also has"),
    (["--seeds", "1"], "--seeds must be at least 2"),
    (["--rounds", "0"], "--rounds must be at least 1"),
    (["--epochs", "1"], "--epochs must be at least 2"),
    (["--rows", "5000"], "--rows must be at least 10240"),
    (["--deepctr-python", "/no/such/python"], "--deepctr-python /no/such/python does not exist"),
])
def test_unusable_options_name_the_option(argv, message):
    with pytest.raises(ValueError, match=message):
        vs.check_options(options(*argv))


def test_the_script_refuses_bad_options_without_a_traceback():
    done = subprocess.run([sys.executable, vs.__file__, "--models", "transformer"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "error: --models must name models" in done.stderr
    assert "Traceback" not in done.stderr


def test_deepctr_options_follow_funrec_defaults():
    cgc, ple = vs.deepctr_spec("cgc"), vs.deepctr_spec("ple")
    assert cgc["builder"] == ple["builder"] == "PLE"
    assert cgc["kwargs"]["num_levels"] == 1
    assert ple["kwargs"]["num_levels"] == model_options("ple")["num_levels"]
    assert ple["kwargs"]["shared_expert_num"] == model_options("ple")["shared_experts"]
    mmoe = vs.deepctr_spec("mmoe")["kwargs"]
    assert mmoe["num_experts"] == model_options("mmoe")["num_experts"]
    assert mmoe["expert_dnn_hidden_units"] == list(model_options("mmoe")["expert_units"])
    assert mmoe["gate_dnn_hidden_units"] == []
    bottom = vs.deepctr_spec("shared_bottom")["kwargs"]
    assert bottom["bottom_dnn_hidden_units"] == list(model_options("shared_bottom")["bottom_units"])
    assert bottom["l2_reg_embedding"] == 0 and bottom["dnn_dropout"] == 0


def test_data_file_holds_funrecs_split(tmp_path):
    path = tmp_path / "data.npz"
    info = vs.write_data(path, 12_000)
    back = vs.read_dataset(str(path))
    train, _, test = back.split_by_date()
    saved = np.load(path)
    assert len(train) == info["n_train"] == len(saved["train_rows"])
    assert np.array_equal(test.labels["is_like"], info["test_labels"]["is_like"])
    assert np.array_equal(test.features["video_id"],
                          saved["feature.video_id"][saved["test_rows"]])


def test_spread_ratio_matches_the_f_table():
    theirs = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    ratio, lo, hi = vs.spread_ratio(2 * theirs, theirs)
    # variance ratio 4 on (4, 4) degrees of freedom: F(0.975; 4, 4) = 9.605
    assert ratio == pytest.approx(2.0)
    assert lo == pytest.approx(np.sqrt(4 / 9.605), rel=1e-3)
    assert hi == pytest.approx(np.sqrt(4 * 9.605), rel=1e-3)


def test_auc_table_gives_the_paired_interval_of_funrec_minus_deepctr():
    theirs = (0.70, 0.72, 0.71)
    records = [(seed, "mmoe", {"auc": {"is_click": auc + gap}}, {"auc": {"is_click": auc}})
               for seed, (auc, gap) in enumerate(zip(theirs, (0.01, 0.02, 0.03)))]
    # gaps 0.01, 0.02, 0.03: mean 0.02, half-width t(0.975, 2) * 0.01 / sqrt(3) = 0.0248
    assert "| +0.0200 [-0.0048, +0.0448] |" in vs.auc_table(records, ["mmoe"], ["is_click"])[-1]
