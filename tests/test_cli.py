import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import funrec.__main__ as cli_module
from funrec.options import OPTIONS, flag_options

QUICK = ["--n-rows", "5000", "--epochs", "1"]
# What TensorFlow's C++ core prints when it loads, on this machine and others.
START_UP = re.compile(r"absl::InitializeLog|oneDNN custom operations|cpu_feature_guard|"
                      r"TF-TRT|cuda|rebuild TensorFlow|^[IWEF]\d{4} ", re.MULTILINE)
FLOAT = re.compile(r"\b\d+\.\d+\b")


def plain_environment():
    """The environment a new user has: nothing that quiets TensorFlow beforehand."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(__file__)),
                                         env.get("PYTHONPATH", "")])
    return env


def cli(*args):
    return subprocess.run([sys.executable, "-m", "funrec", *args], capture_output=True,
                          text=True, env=plain_environment())


def in_process(monkeypatch, capsys, *args):
    """main() with training forbidden: every check must happen before it."""
    import funrec.experiment

    monkeypatch.setattr(funrec.experiment, "run_experiment",
                        lambda *a, **k: pytest.fail("a model was trained"))
    code = cli_module.main(list(args))
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- a quick, quiet start

def test_help_loads_neither_tensorflow_nor_the_data_libraries():
    code = ("import runpy, sys\n"
            "sys.argv = ['funrec', 'run', '--help']\n"
            "try:\n    runpy.run_module('funrec', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('tensorflow', 'keras', 'pandas', 'numpy', "
            "'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=plain_environment())
    assert "LOADED []" in done.stdout, done.stdout[-300:]


def test_every_option_with_a_text_value_has_a_flag():
    done = cli("run", "--help")
    assert done.returncode == 0
    for option in flag_options():
        assert option.flag_name in done.stdout, option.name
    python_only = {o.name for o in OPTIONS if not o.flag}
    assert python_only == {"dataset", "strategy", "show", "gate", "embedding_init", "on_step_end"}
    assert "--kuairand" in done.stdout  # the command line's way to pass a dataset


def test_run_names_the_model_prints_a_narrow_table_and_no_tensorflow_lines():
    done = cli("run", "mmoe", "--num-experts", "2", "--expert-units", "16,8", *QUICK)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.match(r"mmoe: [\d,]+ parameters", lines[0])
    assert "[1/1] training mmoe on simulated data" in done.stderr
    assert re.search(r"^auc\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}$", done.stdout, re.M)
    assert all(len(line) <= 100 for line in lines)
    assert all(len(number.split(".")[1]) == 4 for number in FLOAT.findall(done.stdout))
    assert not START_UP.search(done.stdout + done.stderr), done.stderr


def test_importing_funrec_and_training_prints_no_tensorflow_lines():
    code = ("from funrec import run_experiment\n"
            "run_experiment('shared_bottom', n_rows=3000, epochs=1, show=False)\n"
            "print('trained')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=plain_environment())
    assert done.returncode == 0 and "trained" in done.stdout, done.stderr
    assert not START_UP.search(done.stdout + done.stderr), done.stderr


NOTEBOOK = """
import nbclient, nbformat
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "from funrec import run_experiment\\n"
    "run_experiment('shared_bottom', n_rows=3000, epochs=1, show=False)\\n"
    "print('trained')")])
nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
for output in notebook.cells[0].outputs:
    print(output.get("name", output.output_type), repr(output.get("text", "")))
"""


def test_a_notebook_cell_that_trains_shows_no_tensorflow_lines():
    done = subprocess.run([sys.executable, "-c", NOTEBOOK], capture_output=True, text=True,
                          env=plain_environment())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == ["stdout 'trained\\n'"], done.stdout


def test_compare_fits_100_columns_with_full_table_and_csv_on_request(tmp_path):
    csv = tmp_path / "table.csv"
    done = cli("compare", "--models", "shared_bottom,mmoe", "--num-experts", "2", *QUICK,
               "--csv", str(csv))
    assert done.returncode == 0, done.stderr
    assert "[1/2] training shared_bottom" in done.stderr and "[2/2] training mmoe" in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["model", "params", "AUC", "macro"]
    assert [line.split()[0] for line in lines[2:]] == ["shared_bottom", "mmoe", "(oracle)"]
    assert all(len(line) <= 100 for line in lines)
    assert all(len(number.split(".")[1]) == 4 for number in FLOAT.findall(done.stdout))
    full = pd.read_csv(csv)
    assert list(full.model) == ["shared_bottom", "mmoe"] and "val_user_is_like" in full


def test_a_comparison_of_six_tasks_fits_100_columns_and_names_every_task():
    from funrec.report import comparison, format_comparison

    tasks = ["is_click", "is_like", "long_view", "is_follow", "is_comment", "is_forward"]

    class Result:  # what comparison() reads of a run
        n_params = 141_742
        table = pd.DataFrame([{**{f"auc_{t}": 0.7 for t in tasks}, "auc_macro": 0.7,
                               "gauc_macro": 0.6, **{f"oracle_auc_{t}": 0.8 for t in tasks}}])

    text = format_comparison(comparison({name: Result() for name in
                                         ("shared_bottom", "omoe", "mmoe", "cgc", "ple",
                                          "single_task")}))
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100, text
    assert lines[0].split() == ["model", "params"] + ["AUC", "GAUC"] + ["AUC"] * 6
    assert lines[1].split() == ["macro", "macro", "click", "like", "long_view", "follow",
                                "comment", "forward"]
    assert [line.split()[0] for line in lines[3:]] == ["shared_bottom", "omoe", "mmoe", "cgc",
                                                       "ple", "single_task", "(oracle)"]
    assert lines[3].split()[1:] == ["141,742", "0.7000", "0.6000"] + ["0.7000"] * 6


def test_small_real_folder_trains_with_the_default_batch_size_full_table(kuairand_dir):
    done = cli("run", "shared_bottom", "--kuairand", kuairand_dir, "--epochs", "1", "--full")
    assert done.returncode == 0, done.stderr
    assert "batch_size lowered from its default 2048" in done.stderr
    assert done.stdout.startswith("shared_bottom:")
    assert done.stdout.splitlines()[1].startswith("+---") and "val_user_is_like" in done.stdout


# ---------------------------------------------------------------- refused before training

@pytest.mark.parametrize("args, message", [
    (["run", "mmoe", "--epochs", "1.5"], "epochs must be a whole number of at least 1, got 1.5"),
    (["run", "mmoe", "--learning-rate", "nan"], "learning_rate must be a finite number"),
    (["run", "mmoe", "--learning-rate", "-0.1"], "learning_rate must be a finite number"),
    (["run", "mmoe", "--batch-size", "0"], "batch_size must be a whole number of at least 1"),
    (["run", "mmoe", "--n-rows", "1000000000"], "would need about"),
    (["run", "mmoe", "--tasks", "is_clik"], r"\['is_clik'\] are not labels"),
    (["run", "ple", "--num-experts", "3"], "--num-experts applies to omoe, mmoe only"),
    (["compare", "--models", "mmoe,foo"], "unknown model 'foo'"),
    (["compare", "--models", "mmoe,mmoe"], "--models names mmoe more than once"),
    (["compare", "--num-experts", "0"], "num_experts must be a whole number of at least 1"),
    (["compare", "--models", "shared_bottom,ple", "--num-experts", "2"],
     "--num-experts applies to omoe, mmoe only"),
    (["compare", "--models", "mmoe,ple", "--tower-units", "32,0"],
     "tower_units must hold whole numbers"),
    (["run", "mmoe", "--kuairand", "somewhere", "--n-rows", "5"],
     "--n-rows set the simulated data, but --kuairand reads real data"),
    (["run", "mmoe", "--csv", "/no/such/folder/t.csv"], "the folder /no/such/folder does not"),
])
def test_bad_flags_are_refused_before_any_model_trains(monkeypatch, capsys, args, message):
    code, err = in_process(monkeypatch, capsys, *args)
    assert code == 2 and re.search(message, err), err


def test_compare_checks_every_model_before_training_the_first(monkeypatch, capsys):
    code, err = in_process(monkeypatch, capsys, "compare", "--models", "mmoe,ple",
                           "--num-levels", "0")
    assert code == 2 and "num_levels must be a whole number" in err and "training" not in err


def test_malformed_flag_values_are_explained():
    done = cli("run", "mmoe", "--expert-units", "64,x")
    assert done.returncode == 2 and "separated by commas" in done.stderr
    done = cli("run", "mmoe", "--epochs", "three")
    assert done.returncode == 2 and "--epochs: expects a number, got 'three'" in done.stderr
    done = cli("run", "mmoe", "--jit-compile", "maybe")
    assert done.returncode == 2 and "expects auto, true or false; got 'maybe'" in done.stderr


@pytest.mark.parametrize("flags, value", [([], None), (["--jit-compile"], True),
                                          (["--jit-compile", "false"], False),
                                          (["--jit-compile", "auto"], "auto")])
def test_jit_compile_flag_forces_xla_alone_or_takes_a_mode(flags, value):
    assert cli_module._parser().parse_args(["run", "mmoe", *flags]).jit_compile == value


def test_unknown_model_and_missing_folder_are_clear_errors_not_tracebacks(tmp_path):
    done = cli("run", "transformer", *QUICK)
    assert done.returncode == 2 and "unknown model 'transformer'; choose one of" in done.stderr
    done = cli("run", "mmoe", "--kuairand", str(tmp_path / "missing"), "--epochs", "1")
    assert done.returncode == 2 and "kuairand.com" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_kuairand_file_is_named(tmp_path, kuairand_dir):
    shutil.copytree(kuairand_dir, tmp_path / "k")
    broken = tmp_path / "k" / "data" / "user_features_1k.csv"
    broken.write_bytes(b"")
    done = cli("run", "mmoe", "--kuairand", str(tmp_path / "k"), "--epochs", "1")
    assert done.returncode == 2 and f"{broken}: is empty (0 bytes)" in done.stderr
    assert "Traceback" not in done.stderr


def test_submodules_are_reachable_as_attributes_of_the_package():
    code = "import funrec; print(funrec.models.shared_bottom.__name__, funrec.layers.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["funrec.models.shared_bottom", "funrec.layers"]
