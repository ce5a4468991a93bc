"""The client that runs the chapters in a book build: nbclient's, with one race fixed and
every wait bounded, so that a stalled cell fails the build, naming the chapter and the cell.

MyST-NB 1.4 (``execute_notebooks: force``) runs each chapter through jupyter-cache's
``single_nb_execution``, which makes an ``nbclient.NotebookClient`` and passes it only
``timeout`` and ``allow_errors`` from ``_config.yml``. This extension makes that call use
:class:`BookClient` instead, with the bounds of ``sphinx.config`` in ``_config.yml``:

``execute_iopub_timeout``
    seconds from a cell's execute_reply to its kernel's idle status (its last output).
    nbclient waits 4 s by default and then goes on with a log line nobody sees, dropping
    any output still to come; here the cell fails instead.
``execute_startup_timeout``
    seconds for the kernel to start and answer.

The race: a cell that shows an ipywidgets ``Output`` (the chapters' explorers) makes
nbclient send a ``comm_msg`` back to the kernel on the shell channel for every output
the widget captures, while it waits on that same channel for the cell's execute_reply.
jupyter_client's ``Session.send`` writes to the ``zmq.asyncio`` socket through a blocking
shadow of it, which skips zmq.asyncio's re-check of the socket after a send; libzmq's
read notification is edge-triggered and a send can consume it, so a reply that arrived
during such a send went unnoticed until the wait's own timeout ran out (the whole
``timeout``, 240 s), and the cell then "succeeded": in 20 runs of the PLE chapter its
explorer's cell did so twice (``benchmarks/execution_stalls.py``, benchmarks/RESULTS.md).
:class:`BookClient`'s shell channel sends through the ``zmq.asyncio`` socket itself, so
every send is followed by that re-check.
"""

from __future__ import annotations

from functools import partial

from jupyter_cache.executors import utils as cache_utils
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from traitlets import Type

# The bounds when _config.yml states none (nbclient's start-up default; a cell's last
# output normally follows its reply within milliseconds).
DEFAULTS = {"execute_iopub_timeout": 30, "execute_startup_timeout": 60}


class _AsyncSocketSender:
    """What ``Session.send`` writes to: hands the frames to the ``zmq.asyncio`` socket
    itself (``Session.send`` would shadow an asyncio socket with a blocking one)."""

    def __init__(self, socket):
        self.socket = socket

    def send_multipart(self, frames, *args, **kwargs):
        return self.socket.send_multipart(frames, *args, **kwargs)


class ShellChannel(AsyncZMQSocketChannel):
    """The shell channel, sending through zmq.asyncio so a reply that arrives during a
    send still wakes the client."""

    def send(self, msg):
        self.session.send(_AsyncSocketSender(self.socket), msg)


class BookKernelClient(AsyncKernelClient):
    shell_channel_class = Type(ShellChannel)


class BookClient(NotebookClient):
    """nbclient's client with :class:`ShellChannel`; a cell's failure (an error or a
    timeout, of the reply or of its last output) names the cell's position."""

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.client_factory = BookKernelClient
        return km

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        except CellTimeoutError as error:
            raise CellTimeoutError(f"{self._where(cell_index)}: {error}") from error
        except CellExecutionError as error:
            raise CellExecutionError(f"{self._where(cell_index)}: {error}", error.ename,
                                     error.evalue) from error

    async def _async_handle_timeout(self, timeout, cell=None):
        if cell is None:  # nbclient asserts a cell here; the wait was for kernel_info
            raise CellTimeoutError(f"the kernel did not answer kernel_info in {timeout} s")
        return await super()._async_handle_timeout(timeout, cell)

    def _where(self, cell_index: int) -> str:
        return f"cell index {cell_index} (code cell {self.code_cells_executed})"


def client_options(config) -> dict:
    """nbclient options for the bounds in Sphinx's ``config`` (or a plain dict)."""
    value = (lambda name: config.get(name, DEFAULTS[name])) if isinstance(config, dict) \
        else (lambda name: getattr(config, name))
    options = {"iopub_timeout": value("execute_iopub_timeout"),
               "startup_timeout": value("execute_startup_timeout")}
    for name, seconds in options.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise ValueError(f"_config.yml: execute_{name} must be a whole number of "
                             f"seconds above 0, not {seconds!r}")
    return {**options, "raise_on_iopub_timeout": True}


def execute(nb, cwd=None, km=None, client_class=BookClient, **kwargs):
    """``nbclient.execute`` with the book's client: what jupyter-cache calls."""
    resources = {"metadata": {"path": cwd}} if cwd is not None else {}
    return client_class(nb=nb, resources=resources, km=km, **kwargs).execute()


def install(options: dict, client_class=BookClient) -> None:
    """Make jupyter-cache's ``single_nb_execution`` (what MyST-NB calls) run notebooks
    with ``client_class`` and these nbclient options."""
    cache_utils.executenb = partial(execute, client_class=client_class, **options)


def use_book_client(app, config) -> None:
    install(client_options(config))


def setup(app):
    for name, seconds in DEFAULTS.items():
        app.add_config_value(name, seconds, "env", [int])
    app.connect("config-inited", use_book_client)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
