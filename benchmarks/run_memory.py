"""Peak memory of one run_experiment as the simulated log grows, against the
estimate funrec.memory uses to refuse runs the machine cannot hold.

    python benchmarks/run_memory.py [n_rows ...] [--conflict LEVEL]
                                     (default: 250000 500000 1000000, conflict 0.5)

Each size runs in a fresh process (MMoE, default sizes otherwise, one epoch; a
named ``--conflict`` level such as ``two_groups`` draws that story's log) and
reports that process's peak resident memory (VmHWM). A straight line through the
peaks gives a fixed part and a part per row; the estimate must lie above every peak.
"""

import json
import os
import subprocess
import sys

import numpy as np

from funrec import memory
from funrec.options import resolve

CHILD = """
import json, sys
from funrec import run_experiment
conflict = sys.argv[2]
conflict = conflict if conflict[0].isalpha() else float(conflict)
run_experiment("mmoe", n_rows=int(sys.argv[1]), conflict=conflict, epochs=1, show=False)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps(peak))
"""


def peak_bytes(n_rows: int, conflict="0.5") -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", CHILD, str(n_rows), str(conflict)],
                          capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = sys.argv[1:]
    conflict = "0.5"
    if "--conflict" in args:
        at = args.index("--conflict")
        conflict = args[at + 1]
        del args[at:at + 2]
    sizes = [int(n) for n in args] or [250_000, 500_000, 1_000_000]
    level = conflict if conflict[0].isalpha() else float(conflict)
    mib = 2**20
    peaks = []
    print("| n_rows | peak MiB | estimate MiB |\n|---|---|---|")
    for n_rows in sizes:
        peaks.append(peak_bytes(n_rows, conflict))
        config = resolve("mmoe", {"n_rows": n_rows, "epochs": 1, "conflict": level})
        estimate = memory.estimate_memory("mmoe", config.simulator, config.training,
                                          config.tasks)
        print(f"| {n_rows:,} | {peaks[-1] / mib:,.0f} | {estimate / mib:,.0f} |", flush=True)
    if len(sizes) > 1:
        per_row, fixed = np.polyfit(sizes, peaks, 1)
        print(f"\nfit: {fixed / mib:,.0f} MiB fixed + {per_row:,.0f} bytes per row "
              f"(estimate: {memory.FIXED_BYTES / mib:,.0f} MiB + "
              f"{memory.BYTES_PER_ROW} bytes per row, plus the embeddings)")


if __name__ == "__main__":
    main()
