"""The client that runs the chapters in a book build (book/_ext/notebook_client.py) and
nbval's run of them in the tests: a stalled cell fails within the bounds that
_config.yml and pyproject.toml state, with a message naming the notebook and the cell;
and a cell that shows an ipywidgets Output no longer waits out its whole timeout for a
reply that has already arrived."""

import pathlib
import subprocess
import sys
import time

import nbformat
import pytest
import yaml
from jupyter_cache.executors import utils as cache_utils
from myst_nb.core.config import NbParserConfig
from myst_nb.core.execute import ExecutionError, create_client
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import notebook_client  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
pytestmark = pytest.mark.book  # runs throwaway notebooks in kernels: not the fast tier


def write_notebook(folder: pathlib.Path, name: str, *sources: str) -> pathlib.Path:
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(f"# {name}")]
        + [nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


class Logger:
    """What MyST-NB's executor logs to: enough for a run that raises on error."""

    def info(self, *args, **kwargs):
        pass

    warning = info


def execute_as_the_build(path: pathlib.Path, monkeypatch, timeout: int,
                         client_class=notebook_client.BookClient, **bounds):
    """Execute a notebook the way ``jupyter-book build`` does (MyST-NB's direct executor
    with ``raise_on_error``, through jupyter-cache) with the book's client installed by
    the extension with the given bounds, as its ``config-inited`` handler installs it."""
    monkeypatch.setattr(cache_utils, "executenb", cache_utils.executenb)  # restored after
    options = notebook_client.client_options({**notebook_client.DEFAULTS, **bounds})
    notebook_client.install(options, client_class)
    config = NbParserConfig(execution_mode="force", execution_timeout=timeout,
                            execution_raise_on_error=True)
    notebook = nbformat.read(path, as_version=4)
    with create_client(notebook, str(path), config, Logger()) as client:
        return client.notebook


def test_config_states_every_bound_and_loads_the_client():
    assert CONFIG["execute"]["timeout"] > 0
    assert CONFIG["sphinx"]["local_extensions"]["notebook_client"] == "book/_ext"
    options = notebook_client.client_options(CONFIG["sphinx"]["config"])
    assert options == {"iopub_timeout": CONFIG["sphinx"]["config"]["execute_iopub_timeout"],
                       "startup_timeout": CONFIG["sphinx"]["config"]["execute_startup_timeout"],
                       "raise_on_iopub_timeout": True}


@pytest.mark.parametrize("seconds", [0, -5, 2.5, "30", True, None])
def test_a_bound_that_is_not_whole_seconds_is_refused_by_name(seconds):
    with pytest.raises(ValueError, match=r"execute_iopub_timeout must be a whole number"):
        notebook_client.client_options({"execute_iopub_timeout": seconds})


def test_a_stalled_cell_fails_the_build_naming_the_notebook_and_the_cell(tmp_path, monkeypatch):
    path = write_notebook(tmp_path, "stalled", "x = 1", "import time\ntime.sleep(60)")
    start = time.monotonic()
    with pytest.raises(ExecutionError) as failure:
        execute_as_the_build(path, monkeypatch, timeout=2)
    assert time.monotonic() - start < 30, "the stall ran past its bound"
    assert str(failure.value) == str(path)                      # the notebook, by MyST-NB
    cause = failure.value.__cause__
    assert isinstance(cause, CellTimeoutError)
    assert str(cause).startswith("cell index 2 (code cell 2): A cell timed out")
    assert "after 2 seconds" in str(cause) and "time.sleep(60)" in str(cause)


# The cell's reply goes out at once, but the kernel's idle status after it (which tells
# the client that the cell's last output has come) is sent 20 s late.
IOPUB_HELD = """import threading
kernel = get_ipython().kernel
publish = kernel._publish_status

def late_idle(status, channel, parent=None):
    parent = parent or kernel.get_parent(channel)
    if status == "idle":
        timer = threading.Timer(20, publish, (status, channel, parent))
        timer.daemon = True
        timer.start()
    else:
        publish(status, channel, parent)

kernel._publish_status = late_idle
print("before")"""


def test_a_cell_whose_last_output_is_late_fails_naming_the_cell(tmp_path, monkeypatch):
    path = write_notebook(tmp_path, "late_output", IOPUB_HELD)
    start = time.monotonic()
    with pytest.raises(ExecutionError) as failure:
        execute_as_the_build(path, monkeypatch, timeout=60, execute_iopub_timeout=2)
    assert time.monotonic() - start < 20, "the build waited for the output past its bound"
    assert str(failure.value) == str(path)
    cause = failure.value.__cause__
    assert isinstance(cause, CellTimeoutError)
    assert "cell index 1 (code cell 1)" in str(cause)
    assert "Timeout waiting for IOPub output" in str(cause) and "after 2 seconds" in str(cause)


def test_nbclients_own_defaults_let_the_same_late_output_pass_silently(tmp_path):
    """What the book's client changes: nbclient alone waits 4 s, logs, and goes on."""
    path = write_notebook(tmp_path, "late_output", IOPUB_HELD)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=60, resources={"metadata": {"path": str(tmp_path)}}
                   ).execute()
    assert [output["text"] for output in notebook.cells[1].outputs] == ["before\n"]


# Each cell shows an Output widget and prints into it: nbclient answers every captured
# output with a comm_msg on the shell channel while the cell's reply may be arriving.
OUTPUT_WIDGET_CELL = ("out = w.Output()\ndisplay(out)\n"
                      "with out:\n    for i in range(20):\n        print(i, flush=True)")


def test_cells_with_an_output_widget_get_their_reply_at_once(tmp_path, monkeypatch):
    """With nbclient's own client 2 to 6 of 40 such cells waited out their whole
    timeout (5 s here) before seeing a reply that had arrived (benchmarks/RESULTS.md);
    with the book's client none may take a second."""
    cells = 60
    path = write_notebook(tmp_path, "widgets", "import ipywidgets as w\n"
                          "from IPython.display import display",
                          *[OUTPUT_WIDGET_CELL] * cells)
    seconds = []

    class Timed(notebook_client.BookClient):
        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            start = time.monotonic()
            try:
                return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            finally:
                seconds.append(time.monotonic() - start)

    notebook = execute_as_the_build(path, monkeypatch, timeout=5, client_class=Timed)
    assert len(notebook.cells[2].outputs) == 1, "the widget, its prints captured inside it"
    slow = [round(s, 1) for s in seconds if s > 1]
    assert not slow, f"cells that waited for a reply that had arrived: {slow}"


def test_a_kernel_that_never_answers_its_first_request_fails_by_name():
    """nbclient's own handler asserts a cell there (a bare AssertionError)."""
    import asyncio

    client = notebook_client.BookClient(nbformat.v4.new_notebook())
    with pytest.raises(CellTimeoutError, match="did not answer kernel_info in 240 s"):
        asyncio.run(client._async_handle_timeout(240, None))
    with pytest.raises(AssertionError):
        asyncio.run(NotebookClient(nbformat.v4.new_notebook())._async_handle_timeout(240, None))


def test_nbval_fails_a_stalled_cell_within_its_bound_naming_it(tmp_path):
    """The tests run the chapters with nbval, whose bound is --nbval-cell-timeout
    (pyproject.toml): a stalled cell fails there too, named by notebook and cell."""
    path = write_notebook(tmp_path, "stalled", "x = 1", "import time\ntime.sleep(60)")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", "--nbval-cell-timeout=2", "-o", "addopts=", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert time.monotonic() - start < 60
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stalled.ipynb::Cell 1" in done.stdout
    assert "Timeout of 2 seconds exceeded" in done.stdout


def test_pyproject_bounds_nbvals_cells_and_kernel_start():
    addopts = (ROOT / "pyproject.toml").read_text().split("addopts = ", 1)[1].split("\n", 1)[0]
    assert "--nbval-cell-timeout=" in addopts and "--nbval-kernel-startup-timeout=" in addopts
