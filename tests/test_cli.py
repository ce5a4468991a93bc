import subprocess
import sys

QUICK = ["--n-rows", "5000", "--epochs", "1"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "funrec", *args], capture_output=True,
                          text=True)


def test_run_prints_the_table():
    done = cli("run", "mmoe", "--num-experts", "2", "--expert-units", "16,8", *QUICK)
    assert done.returncode == 0, done.stderr
    assert "auc_is_click" in done.stdout and "val_user_long_view" in done.stdout


def test_compare_prints_one_row_per_model_with_progress():
    done = cli("compare", "--models", "shared_bottom,ple", "--num-levels", "2", *QUICK)
    assert done.returncode == 0, done.stderr
    assert "[1/2] training shared_bottom" in done.stderr and "[2/2] training ple" in done.stderr
    assert done.stdout.count("| shared_bottom") == 1 and done.stdout.count("| ple") == 1


def test_unknown_model_is_a_clear_error_not_a_traceback():
    done = cli("run", "transformer", *QUICK)
    assert done.returncode == 2
    assert "unknown model 'transformer'; choose one of" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_expert_count_and_missing_kuairand_folder_are_clear_errors(tmp_path):
    done = cli("run", "mmoe", "--num-experts", "0", *QUICK)
    assert done.returncode == 2 and "num_experts must be" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli("run", "mmoe", "--kuairand", str(tmp_path / "missing"), *QUICK)
    assert done.returncode == 2 and "kuairand.com" in done.stderr


def test_malformed_units_flag_is_explained():
    done = cli("run", "mmoe", "--expert-units", "64,x")
    assert done.returncode == 2 and "separated by commas" in done.stderr
