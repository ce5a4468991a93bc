"""Will a run fit in this machine's memory? A rough estimate, checked before any data
is drawn, so a request too large is refused with the numbers instead of ending in
the operating system's out-of-memory kill.

The constants are peak resident memory of ``run_experiment`` on simulated data,
measured by benchmarks/run_memory.py (figures in benchmarks/RESULTS.md) and rounded
up: a fixed part (Python, TensorFlow and the libraries) and a part per simulated row;
the simulator's tables per user, video and author (tracemalloc). A row's part was
measured with three tasks; each task beyond three (the many-task story's six) adds
``BYTES_PER_TASK_ROW``, rounded up from the simulator's growth per task (figures in
benchmarks/RESULTS.md). Embeddings and a
parameter budget cost four float32 copies per parameter: weights, gradients and
Adam's two moments.
"""

from __future__ import annotations

import os

FIXED_BYTES = 1 << 30
BYTES_PER_ROW = 600
BYTES_PER_TASK_ROW = 40  # each task beyond THREE_TASKS
THREE_TASKS = 3
BYTES_PER_USER = 100
BYTES_PER_VIDEO = 120
BYTES_PER_AUTHOR = 16
BYTES_PER_PARAMETER = 16
GIB = 1 << 30


def available_memory() -> int | None:
    """Bytes the machine can still give (MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def bytes_per_row(n_tasks: int = THREE_TASKS) -> int:
    """What one simulated row of ``n_tasks`` labels takes."""
    return BYTES_PER_ROW + BYTES_PER_TASK_ROW * max(0, n_tasks - THREE_TASKS)


def data_bytes(simulator: dict, n_tasks: int = THREE_TASKS) -> int:
    """What the simulated log (``n_tasks`` labels) and the simulator's tables take."""
    return (simulator["n_rows"] * bytes_per_row(n_tasks)
            + simulator["n_users"] * BYTES_PER_USER
            + simulator["n_videos"] * BYTES_PER_VIDEO
            + simulator["n_authors"] * BYTES_PER_AUTHOR)


def estimate_memory(name: str, simulator: dict | None, training: dict, tasks) -> int:
    """Bytes a run needs at its peak, roughly. ``simulator`` is None for a ready
    dataset (``training["dataset"]``): the data exists already, only the model is to come."""
    dataset = training["dataset"]
    if dataset is None:
        codes = simulator["n_users"] + simulator["n_videos"] + simulator["n_authors"]
    else:
        codes = sum(dataset.vocab_sizes.values())
    tables = len(tasks) if name == "single_task" else 1  # one set of embeddings per task there
    parameters = codes * training["embedding_dim"] * tables + (training["param_budget"] or 0)
    data = data_bytes(simulator, len(tasks)) if dataset is None else 0
    return FIXED_BYTES + data + parameters * BYTES_PER_PARAMETER


def check_memory(name: str, simulator: dict | None, training: dict, tasks) -> None:
    """Refuse a run that would need more memory than the machine has free."""
    available = available_memory()
    if available is None:
        return
    needed = estimate_memory(name, simulator, training, tasks)
    if needed <= available:
        return
    dataset = training["dataset"]
    if dataset is None:
        sizes = ", ".join(f"{k}={simulator[k]:,}" for k in ("n_rows", "n_users", "n_videos",
                                                              "n_authors"))
        per_row = bytes_per_row(len(tasks))
        fits = max(0, (available - needed + simulator["n_rows"] * per_row) // per_row)
        advice = f"lower n_rows (about {fits:,} fit with the other sizes) or the other sizes"
    else:
        sizes = f"the dataset's {sum(dataset.vocab_sizes.values()):,} codes"
        advice = "lower param_budget or embedding_dim"
    raise ValueError(f"this run would need about {needed / GIB:,.1f} GiB of memory "
                     f"({sizes}, embedding_dim={training['embedding_dim']}, "
                     f"param_budget={training['param_budget']}), but the machine has "
                     f"{available / GIB:,.1f} GiB free; {advice}.")
