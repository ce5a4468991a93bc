"""The package installs where Colab readers are: a newer Python than the pins were made
on, with a TensorFlow already present that the install must leave alone.

A fresh virtual environment is made with pyenv's Python 3.12, TensorFlow is installed
first (as a Colab runtime has it, at a version other than requirements.txt's pin), then
this repository, then a tiny experiment runs there."""

import glob
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Colab ships the full "tensorflow" distribution at its own version; ours is pinned elsewhere.
PREINSTALLED_TENSORFLOW = "tensorflow==2.20.0"
TENSORFLOW_DISTRIBUTIONS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
                            "tensorflow-macos", "tensorflow-aarch64", "tf-nightly",
                            "tf-nightly-cpu"}
TINY_RUN = ("from funrec import run_experiment\n"
            "result = run_experiment('mmoe', n_rows=5000, epochs=1, batch_size=512)\n"
            "assert 0.5 < float(result.table['auc_macro'].iloc[0]) < 1.0\n")

pytestmark = pytest.mark.install


def python_312() -> str:
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(f"{root}/versions/3.12.*/bin/python"))
    if not found:
        message = f"no Python 3.12 under {root}/versions (install it with pyenv)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found[-1]


def run(*command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def tensorflow_distributions(pip) -> dict:
    listed = json.loads(run(pip, "list", "--format=json"))
    return {p["name"].lower(): p["version"] for p in listed
            if p["name"].lower().replace("_", "-") in TENSORFLOW_DISTRIBUTIONS}


def copy_of_the_package(folder: pathlib.Path) -> pathlib.Path:
    """What a git install sees, without building inside the working tree."""
    folder.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "funrec", folder / "funrec",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_installs_beside_an_existing_tensorflow_on_python_312(tmp_path):
    venv = tmp_path / "venv"
    run(python_312(), "-m", "venv", str(venv))
    pip, python = str(venv / "bin" / "pip"), str(venv / "bin" / "python")
    run(pip, "install", "-q", PREINSTALLED_TENSORFLOW)
    before = tensorflow_distributions(pip)

    source = copy_of_the_package(tmp_path / "source")
    run(pip, "install", "-q", str(source))

    assert tensorflow_distributions(pip) == before, "the install touched TensorFlow"
    assert len(before) == 1, before
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    run(python, "-c", TINY_RUN, cwd=tmp_path, env=env)
