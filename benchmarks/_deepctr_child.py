"""One DeepCTR training run for benchmarks/vs_deepctr.py; run only by the DeepCTR venv.

    TF_USE_LEGACY_KERAS=1 /work/venvs/deepctr/bin/python benchmarks/_deepctr_child.py \
        --data DATA.npz --spec JSON --seed 0 --epochs 3 --batch-size 2048 \
        --learning-rate 0.01 --predictions OUT.npz

``--spec`` names the DeepCTR builder and its keyword arguments (the parent derives
them from funrec's defaults). Prints one JSON line: parameter count, seconds to a
trained model (building the feature columns and the model, compiling, every epoch),
each epoch's seconds and the rows trained per epoch. The test-day predictions go to
``--predictions``; the parent scores them with funrec's AUC, as it does funrec's.
"""

import argparse
import json
import time
import types

import numpy as np
import requests

# DeepCTR's import asks the package index for a newer release in a thread, on every
# run; a benchmark child must neither reach the network nor print that answer.
requests.get = lambda *args, **kwargs: types.SimpleNamespace(status_code=0)

import tensorflow as tf  # noqa: E402
from deepctr.feature_column import SparseFeat  # noqa: E402
from deepctr.models import multitask  # noqa: E402


class EpochTimer(tf.keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def load(path):
    data = np.load(path)
    columns = [str(c) for c in data["columns"]]
    tasks = [str(t) for t in data["tasks"]]
    features = {c: data[f"feature.{c}"] for c in columns}
    labels = {t: data[f"label.{t}"].astype("float32") for t in tasks}
    vocab = dict(zip(columns, data["vocab_sizes"].tolist()))
    return features, labels, vocab, tasks, data["train_rows"], data["test_rows"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--spec", required=True, type=json.loads)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--predictions", required=True)
    args = parser.parse_args()

    features, labels, vocab, tasks, train_rows, test_rows = load(args.data)
    train_x = {c: v[train_rows] for c, v in features.items()}
    train_y = [labels[t][train_rows] for t in tasks]
    # The same settings funrec trains under: seeded, deterministic kernels.
    tf.keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    timer = EpochTimer()

    start = time.perf_counter()
    columns = [SparseFeat(c, vocabulary_size=vocab[c], embedding_dim=args.spec["embedding_dim"])
               for c in features]
    builder = getattr(multitask, args.spec["builder"])
    model = builder(columns, seed=args.seed, task_types=["binary"] * len(tasks),
                    task_names=tasks, **args.spec["kwargs"])
    model.compile(optimizer=tf.keras.optimizers.Adam(args.learning_rate),
                  loss=["binary_crossentropy"] * len(tasks))
    model.fit(train_x, train_y, batch_size=args.batch_size, epochs=args.epochs,
              shuffle=True, verbose=0, callbacks=[timer])
    trained = time.perf_counter() - start

    outputs = model.predict({c: v[test_rows] for c, v in features.items()},
                            batch_size=8192, verbose=0)
    np.savez(args.predictions, **{t: np.ravel(p) for t, p in zip(tasks, outputs)})
    print(json.dumps(dict(n_params=int(model.count_params()), trained_seconds=trained,
                          epoch_seconds=timer.seconds, rows_per_epoch=int(len(train_rows)))))


if __name__ == "__main__":
    main()
