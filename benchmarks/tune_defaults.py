"""How each model's default learning rate was chosen: validation-day macro AUC
on the default simulated data for a small grid of rates (seed 0).

    python benchmarks/tune_defaults.py [model ...]
"""

import sys

from funrec import MODEL_NAMES, run_experiment

GRID = (3e-3, 1e-2, 3e-2)

print("| model | " + " | ".join(f"lr {lr:g}" for lr in GRID) + " | best |")
print("|---" * (len(GRID) + 2) + "|")
for name in sys.argv[1:] or MODEL_NAMES:
    scores = {lr: run_experiment(name, learning_rate=lr, show=False).valid_table.auc_macro.iloc[0]
              for lr in GRID}
    best = max(scores, key=scores.get)
    print(f"| {name} | " + " | ".join(f"{s:.4f}" for s in scores.values()) + f" | {best:g} |",
          flush=True)
