"""How the defaults were chosen: the embedding initialisation and the learning rate,
on the validation day only (never the test day), averaged over seeds.

    python benchmarks/tune_defaults.py [--models shared_bottom,mmoe] [--seeds 3]

Every combination of an embedding initialiser and a learning rate trains each
model on the default simulated data (3 epochs, batch 2,048) with ``run_seeds``
(the seeds' models one after another). Printed: validation-day macro AUC, mean and
standard deviation over the seeds, and the seed spread of each task's AUC, since
a default that starts every seed alike also narrows the spread of the results.
"""

import argparse

import keras
import numpy as np

from funrec import run_seeds

INITS = {  # name -> initializer of the embedding tables
    "uniform 0.05 (Keras)": "uniform",
    "normal 1e-4 (DeepCTR)": lambda: keras.initializers.RandomNormal(stddev=1e-4),
    "normal 1e-2": lambda: keras.initializers.RandomNormal(stddev=1e-2),
}
RATES = (3e-3, 1e-2)

parser = argparse.ArgumentParser()
parser.add_argument("--models", default="shared_bottom,mmoe")
parser.add_argument("--seeds", type=int, default=3)
args = parser.parse_args()

print("| model | embedding init | lr | valid macro AUC (mean ± sd) | sd click / like / long view |")
print("|---|---|---|---|---|")
for name in args.models.split(","):
    for label, init in INITS.items():
        for lr in RATES:
            results = run_seeds(name, seeds=range(args.seeds), learning_rate=lr, show=False,
                                embedding_init=init() if callable(init) else init)
            valid = np.array([[r.valid_table[f"auc_{t}"].iloc[0]
                               for t in ("is_click", "is_like", "long_view")] for r in results])
            macro = valid.mean(axis=1)
            print(f"| {name} | {label} | {lr:g} | {macro.mean():.4f} ± {macro.std(ddof=1):.4f} | "
                  + " / ".join(f"{s:.4f}" for s in valid.std(axis=0, ddof=1)) + " |", flush=True)
