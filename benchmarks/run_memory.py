"""Peak memory of one run_experiment as the simulated log grows, against the
estimate funrec.memory uses to refuse runs the machine cannot hold.

    python benchmarks/run_memory.py [n_rows ...]     (default: 250000 500000 1000000)

Each size runs in a fresh process (MMoE, default sizes otherwise, one epoch) and
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
run_experiment("mmoe", n_rows=int(sys.argv[1]), epochs=1, show=False)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps(peak))
"""


def peak_bytes(n_rows: int) -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", CHILD, str(n_rows)], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(n) for n in sys.argv[1:]] or [250_000, 500_000, 1_000_000]
    mib = 2**20
    peaks = []
    print("| n_rows | peak MiB | estimate MiB |\n|---|---|---|")
    for n_rows in sizes:
        peaks.append(peak_bytes(n_rows))
        config = resolve("mmoe", {"n_rows": n_rows, "epochs": 1})
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
