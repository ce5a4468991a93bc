"""Where a chapter's execution stalls: seconds per run and, per cell, before and after the
kernel's execute_reply, under the same client as ``jupyter-book build``.

    python benchmarks/execution_stalls.py [book/ple.ipynb] [--runs 20] [--load N]
        [--stall 20] [--py-spy PATH] [--json FILE] [--nbclient]

jupyter-book 1 hands each chapter to MyST-NB, whose direct executor (``execute_notebooks:
force``) calls jupyter-cache's ``single_nb_execution``, which runs ``nbclient.execute`` in
a fresh kernel (the one the notebook names) with the chapter's folder as working directory
and the ``execute:`` options of ``_config.yml``. This script calls that same function with
the options jupyter-book derives from ``_config.yml`` (through jupyter-book's own config
code, so the two cannot differ), ``--runs`` times in a row, with the client the build uses:
nbclient's, or the book's (book/_ext/notebook_client.py) when ``_config.yml`` loads that
extension, with its options (``--nbclient``: nbclient's own, as before that extension).
It only watches: a mixin notes the time of each message the
client sends and receives and changes nothing it sends or waits for.

Printed per run: the wall time of the whole execution (what MyST-NB reports as "Executed
notebook in ... seconds"), the kernel's start-up, the seconds in cells and the shutdown,
and its slowest cell split in two: "to reply", from sending the execute_request to the
execute_reply's arrival (the kernel running the cell; nbclient bounds it by ``timeout``),
and "after", from the reply to the kernel's idle status on IOPub (nbclient bounds it by
``iopub_timeout``). Two more times tell the two sides apart: "queued", from the request to
the kernel's execute_input (the request waiting before the kernel starts it), and
"transit", from the kernel's stamp on the reply to the client seeing it (long: the reply
had come and the client did not wake). A cell slower than its median over all runs by
more than ``--stall`` seconds is listed as a stall with all four. Then the runs' min /
median / max and the load average at each run's start.

``--load N`` keeps N busy processes running beside the runs (a book build runs chapters
one after another on a machine where other jobs compete). ``--py-spy PATH`` dumps the
kernel's and this process's Python stacks into the JSON file's folder when one cell has
waited ``--stall`` seconds longer than its median in the runs before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
from jupyter_cache.executors import utils as cache_utils
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def build_client(root: Path = ROOT, nbclient_only: bool = False) -> tuple[dict, type]:
    """The execution options a ``jupyter-book build`` of ``root`` uses, as jupyter-book
    turns ``_config.yml`` into MyST-NB's settings, and the client class with its extra
    nbclient options that the book's ``notebook_client`` extension installs (nbclient's
    own client and none if the book has no such extension)."""
    from jupyter_book.config import get_final_config

    sphinx_config, _ = get_final_config(user_yaml=root / "_config.yml",
                                        cli_config={"latex_individualpages": False},
                                        sourcedir=root)
    options = {"timeout": sphinx_config.get("nb_execution_timeout", 30),
               "allow_errors": sphinx_config.get("nb_execution_allow_errors", False),
               "in_temp": sphinx_config.get("nb_execution_in_temp", False),
               "client": {}}
    base = NotebookClient
    if "notebook_client" in sphinx_config.get("extensions", []) and not nbclient_only:
        sys.path.insert(0, str(root / "book" / "_ext"))
        import notebook_client

        options["client"] = notebook_client.client_options(sphinx_config)
        base = notebook_client.BookClient
    return options, base


class Watching:
    """Mixed into the build's client: notes when each message goes out and comes in."""

    def __init__(self, *args, record: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        self.sent: dict[str, float] = {}        # msg_id -> time the request left
        self.replies: dict[str, tuple] = {}     # msg_id -> (arrival, kernel's stamp)
        self.iopub: dict[str, dict] = {}        # msg_id -> {event: (arrival, stamp)}
        self.current: tuple | None = None       # (cell index, time it was sent)

    async def async_start_new_kernel(self, **kwargs):
        start = time.time()
        await super().async_start_new_kernel(**kwargs)
        self.record["kernel_start"] = time.time() - start
        self.record["kernel_pid"] = getattr(getattr(self.km, "provisioner", None),
                                            "pid", None)

    async def async_start_new_kernel_client(self):
        start = time.time()
        kc = await super().async_start_new_kernel_client()
        self.record["kernel_ready"] = time.time() - start
        execute, get_shell = kc.execute, kc.shell_channel.get_msg

        def watched_execute(*args, **kwargs):
            sent = time.time()
            msg_id = execute(*args, **kwargs)
            self.sent[msg_id] = sent
            return msg_id

        async def watched_get_shell(*args, **kwargs):
            msg = await get_shell(*args, **kwargs)
            if msg["msg_type"] == "execute_reply":
                self.replies[msg["parent_header"].get("msg_id")] = (time.time(),
                                                                    stamp(msg))
            return msg

        kc.execute, kc.shell_channel.get_msg = watched_execute, watched_get_shell
        return kc

    def process_message(self, msg, cell, cell_index):
        kind = msg["msg_type"]
        if kind == "status":
            kind = msg["content"]["execution_state"]
        if kind in ("busy", "execute_input", "idle"):
            parent = msg["parent_header"].get("msg_id")
            self.iopub.setdefault(parent, {})[kind] = (time.time(), stamp(msg))
        return super().process_message(msg, cell, cell_index)

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        self.current = (cell_index, time.time())
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            done = time.time()
            self.current = None
            msg_id = max(self.sent, key=self.sent.get)   # this cell's request
            self.record["cells"].append(cell_timing(
                cell_index, self.sent[msg_id], self.replies.get(msg_id),
                self.iopub.get(msg_id, {}), done))

    async def _async_cleanup_kernel(self):
        start = time.time()
        await super()._async_cleanup_kernel()
        self.record["shutdown"] = time.time() - start


def stamp(msg: dict) -> float | None:
    """The kernel's time on a message (its header's date), in seconds since the epoch."""
    date = msg.get("header", {}).get("date")
    return date.timestamp() if hasattr(date, "timestamp") else None


def cell_timing(index: int, sent: float, reply: tuple | None, iopub: dict,
                done: float) -> dict:
    """One cell's phases, in seconds; None where the message never came."""
    arrived, replied = reply if reply else (None, None)
    started = iopub.get("execute_input", (None, None))[1]
    idle = iopub.get("idle", (None, None))[0]
    return {
        "cell": index,
        "total": done - sent,
        "to_reply": None if arrived is None else arrived - sent,
        "after_reply": None if arrived is None else done - arrived,
        "queued": None if started is None else started - sent,
        "transit": None if arrived is None or replied is None else arrived - replied,
        "idle_seen": idle is not None,
    }


def execute_once(path: Path, options: dict, client_class: type, record: dict,
                 watch=None) -> NotebookClient:
    """Execute the notebook as MyST-NB does, through jupyter-cache's single_nb_execution,
    with nbclient's client swapped for the watched one (same options, same calls)."""
    notebook = nbformat.read(path, as_version=4)
    clients = []

    def execute(nb, cwd=None, km=None, **kwargs):          # nbclient.execute, watched
        resources = {"metadata": {"path": cwd}} if cwd is not None else {}
        client = client_class(nb=nb, resources=resources, km=km, record=record,
                              **options["client"], **kwargs)
        clients.append(client)
        if watch:
            watch.client = client
        return client.execute()

    original, cache_utils.executenb = cache_utils.executenb, execute
    try:
        result = cache_utils.single_nb_execution(
            notebook, cwd=str(path.parent), timeout=options["timeout"],
            allow_errors=options["allow_errors"], meta_override=True)
    finally:
        cache_utils.executenb = original
        if watch:
            watch.client = None
    record["wall"] = result.time
    record["error"] = None if result.err is None else str(result.err).splitlines()[0]
    return clients[0]


class StackWatch(threading.Thread):
    """Dumps the kernel's and this process's stacks (py-spy) once per cell that waits
    longer than its median in the earlier runs plus ``stall`` seconds."""

    def __init__(self, py_spy: str, folder: Path, stall: float, medians: dict):
        super().__init__(daemon=True)
        self.py_spy, self.folder, self.stall, self.medians = py_spy, folder, stall, medians
        self.client, self.run_index, self.dumped = None, 0, set()
        self.dumps: list[str] = []

    def run(self):
        while True:
            time.sleep(1)
            client = self.client
            current = client.current if client else None
            if not current:
                continue
            index, started = current
            waited = time.time() - started
            if (self.run_index, index) in self.dumped or \
                    waited < self.medians.get(index, 0) + self.stall:
                continue
            self.dumped.add((self.run_index, index))
            target = self.folder / f"stacks_run{self.run_index}_cell{index}.txt"
            pid = client.record.get("kernel_pid")
            with open(target, "w") as out:
                out.write(f"cell {index} waiting {waited:.1f} s\n")
                for who, process in (("kernel", pid), ("client", os.getpid())):
                    out.write(f"===== {who} (pid {process})\n")
                    out.flush()
                    if process:
                        subprocess.run([self.py_spy, "dump", "--pid",
                                        str(process)], stdout=out, stderr=out, timeout=60)
            self.dumps.append(str(target))


def start_load(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def seconds(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return (f"min {min(values):.1f}  median {statistics.median(values):.1f}  "
            f"max {max(values):.1f}")


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default=str(ROOT / "book" / "ple.ipynb"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--load", type=int, default=0,
                        help="busy processes to run beside the executions")
    parser.add_argument("--stall", type=float, default=20.0,
                        help="seconds over a cell's median that count as a stall")
    parser.add_argument("--py-spy", default=None, help="py-spy executable for stack dumps")
    parser.add_argument("--json", default=None, help="write every timing to this file")
    parser.add_argument("--nbclient", action="store_true",
                        help="run with nbclient's own client and options, as builds did "
                             "before book/_ext/notebook_client.py")
    args = parser.parse_args(argv)

    path = Path(args.notebook).resolve()
    if not path.is_file():
        parser.error(f"no notebook at {path}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, not {args.runs}")
    if args.load < 0:
        parser.error(f"--load must be 0 or more, not {args.load}")
    options, base = build_client(nbclient_only=args.nbclient)
    client_class = type(f"Watched{base.__name__}", (Watching, base), {})
    if options["in_temp"]:
        parser.error("_config.yml runs chapters in a temporary folder; this script "
                     "runs them in their own folder only")
    print(f"{path.name}: {args.runs} runs with {base.__module__}.{base.__name__}, timeout "
          f"{options['timeout']} s per cell, extra client options "
          f"{options['client'] or 'none'}, {args.load} busy processes beside, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)

    folder = Path(args.json).resolve().parent if args.json else Path.cwd()
    medians: dict[int, float] = {}
    watch = None
    if args.py_spy:
        watch = StackWatch(args.py_spy, folder, args.stall, medians)
        watch.start()
    load = start_load(args.load)
    runs = []
    try:
        for run in range(args.runs):
            if watch:
                watch.run_index = run
            record = {"run": run, "cells": []}
            record["load_average"] = os.getloadavg()[0]
            execute_once(path, options, client_class, record, watch)
            runs.append(record)
            cells = record["cells"]
            slowest = max(cells, key=lambda c: c["total"]) if cells else None
            print(f"run {run + 1:2d}: {record['wall']:6.1f} s  (load {record['load_average']:.1f}; start "
                  f"{fmt(record.get('kernel_start'))} + ready "
                  f"{fmt(record.get('kernel_ready'))}, cells "
                  f"{sum(c['total'] for c in cells):.1f}, shutdown "
                  f"{fmt(record.get('shutdown'))})  slowest cell "
                  f"{slowest['cell'] if slowest else '-'}: "
                  f"{fmt(slowest and slowest['to_reply'])} to reply + "
                  f"{fmt(slowest and slowest['after_reply'])} after"
                  + (f"  ERROR {record['error']}" if record["error"] else ""), flush=True)
            by_cell: dict[int, list[float]] = {}
            for earlier in runs:
                for c in earlier["cells"]:
                    by_cell.setdefault(c["cell"], []).append(c["total"])
            medians.update({k: statistics.median(v) for k, v in by_cell.items()})
    finally:
        for process in load:
            process.kill()
            process.wait()

    stalls = []
    for record in runs:
        for c in record["cells"]:
            if c["total"] > medians[c["cell"]] + args.stall or not c["idle_seen"]:
                stalls.append((record["run"], c))
    print(f"\nwall time per run: {seconds(r['wall'] for r in runs)}")
    print(f"load average at each run's start: {seconds(r['load_average'] for r in runs)}")
    print(f"kernel start + ready: {seconds(r.get('kernel_start', 0) + r.get('kernel_ready', 0) for r in runs)}")
    print(f"shutdown: {seconds(r.get('shutdown') for r in runs)}")
    print(f"after reply, every cell of every run: "
          f"{seconds(c['after_reply'] for r in runs for c in r['cells'])}")
    print(f"queued, every cell of every run: "
          f"{seconds(c['queued'] for r in runs for c in r['cells'])}")
    print(f"stalls (a cell > its median + {args.stall:g} s, or no idle status): "
          f"{len(stalls)}")
    for run, c in stalls:
        print(f"  run {run + 1} cell {c['cell']}: {c['total']:.1f} s against a median of "
              f"{medians[c['cell']]:.1f}; to reply {fmt(c['to_reply'])}, after "
              f"{fmt(c['after_reply'])}, queued {fmt(c['queued'])}, transit "
              f"{fmt(c['transit'])}, idle seen {c['idle_seen']}")
    if watch and watch.dumps:
        print("stack dumps: " + ", ".join(watch.dumps))
    if args.json:
        Path(args.json).write_text(json.dumps({"notebook": str(path), "load": args.load,
                                               "client": f"{base.__module__}.{base.__name__}",
                                               "options": options, "runs": runs}, indent=1))
    return 1 if any(r["error"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
