"""benchmarks/execution_stalls.py: it runs a notebook with the build's client and
options, and splits each cell's time at its execute_reply."""

import nbformat
import pytest
import yaml

from benchmark_scripts import BENCHMARKS, load_benchmark

stalls = load_benchmark("execution_stalls")
pytestmark = pytest.mark.book  # runs a throwaway notebook in a kernel: not the fast tier


def test_it_uses_the_builds_client_unless_asked_for_nbclients_own():
    options, base = stalls.build_client()
    assert base.__name__ == "BookClient" and options["client"]["raise_on_iopub_timeout"]
    config = yaml.safe_load((BENCHMARKS.parent / "_config.yml").read_text())
    assert options["timeout"] == config["execute"]["timeout"]
    options, base = stalls.build_client(nbclient_only=True)
    assert base.__name__ == "NotebookClient" and options["client"] == {}


def test_each_cell_is_timed_before_and_after_its_reply(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Two cells"), nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(1)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = tmp_path / "two_cells.ipynb"
    nbformat.write(notebook, path)
    options, base = stalls.build_client()
    record = {"cells": []}
    stalls.execute_once(path, options, type("Watched", (stalls.Watching, base), {}), record)
    assert record["error"] is None and record["wall"] > 1
    assert [c["cell"] for c in record["cells"]] == [1, 2]
    sleeping = record["cells"][1]
    assert 1 <= sleeping["to_reply"] < 10 and sleeping["idle_seen"]
    assert 0 <= sleeping["after_reply"] < 1 and sleeping["transit"] < 1
    assert sleeping["queued"] < 1 and record["shutdown"] >= 0
