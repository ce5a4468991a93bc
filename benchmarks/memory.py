"""Resident memory while run_experiment is called again and again, as the book's
explorers do.

    python benchmarks/memory.py [calls]
"""

import resource
import sys

from funrec import run_experiment


def rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


calls = int(sys.argv[1]) if len(sys.argv) > 1 else 30
for i in range(1, calls + 1):
    # Alternate architectures and sizes, as an explorer does.
    size = dict(num_experts=2 + i % 3) if i % 2 else dict(shared_experts=1 + i % 3)
    run_experiment("mmoe" if i % 2 else "ple", n_rows=20_000, epochs=1, show=False, **size)
    if i == 1 or i % 5 == 0:
        print(f"after {i:3d} calls: {rss_mib():7.1f} MiB", flush=True)
