"""Every model on the default simulated data: seconds, parameters, and the share
of the oracle's lift it reaches per task, (AUC - 0.5) / (oracle AUC - 0.5).

    python benchmarks/default_models.py [model ...]

Drawing the data is timed once, apart (run_experiment caches it); each model's
time is building, training (default epochs) and scoring the validation and test days.
"""

import sys
import time

from funrec import MODEL_NAMES, lift_share, run_experiment, simulated_log
from funrec.data.simulator import TASKS

start = time.perf_counter()
simulated_log()
print(f"simulate the default log: {time.perf_counter() - start:.1f} s")
print("| model | seconds | params | " + " | ".join(f"AUC {t} (oracle) | lift {t}" for t in TASKS)
      + " |")
print("|---" * (3 + 2 * len(TASKS)) + "|")
for name in sys.argv[1:] or MODEL_NAMES:
    start = time.perf_counter()
    result = run_experiment(name, show=False)
    seconds = time.perf_counter() - start
    row = result.table.iloc[0]
    cells = [f"{row[f'auc_{t}']:.4f} ({row[f'oracle_auc_{t}']:.4f}) | "
             f"{lift_share(row[f'auc_{t}'], row[f'oracle_auc_{t}']):.3f}" for t in TASKS]
    print(f"| {name} | {seconds:.1f} | {result.n_params} | " + " | ".join(cells) + " |",
          flush=True)
