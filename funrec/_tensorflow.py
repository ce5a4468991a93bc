"""TensorFlow and Keras, imported once, when first needed, and quietly.

Every funrec module that needs them writes ``from ._tensorflow import keras, tf``
(this module's ``__getattr__`` imports them at that moment), so the package
imports TensorFlow only when a model is built or trained, and without the start-up lines its C++ core writes to the process's stderr (absl's
"log messages before absl::InitializeLog", CPU-feature and oneDNN notices, CUDA
and TensorRT registration notices on machines without a GPU). Those lines come
from C++, below Python's ``sys.stderr``, so the import runs with file descriptor 2
pointed at a temporary file; afterwards any line that is not such a notice is
written back, so a real error is never swallowed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

# Read by TensorFlow's C++ logging when it loads: 3 keeps only fatal messages.
# A value the user set is kept.
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}
START_UP_NOISE = ("absl::InitializeLog", "cpu_feature_guard", "oneDNN custom operations",
                  "rebuild TensorFlow with the appropriate compiler flags", "TF-TRT",
                  "TensorRT", "cuda", "CUDA", "cuDNN", "cuFFT", "cuBLAS",
                  "computation_placer", "Unable to register", "This TensorFlow binary")


def quiet_environment() -> None:
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _is_noise(line: str) -> bool:
    return any(marker in line for marker in START_UP_NOISE)


@contextlib.contextmanager
def _start_up_lines_dropped():
    """Send fd 2 to a temporary file for the block; write back what is not noise."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (some embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode("utf-8", "replace").splitlines()
                    if line.strip() and not _is_noise(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def _import_quietly() -> dict:
    quiet_environment()
    with _start_up_lines_dropped():
        import keras
        import tensorflow as tf

        tf.constant(0)  # some notices come with the first kernel, not with the import
    tf.get_logger().setLevel("ERROR")  # retracing notices are noise for readers
    return {"keras": keras, "tf": tf}


def __getattr__(name: str):
    if name not in ("keras", "tf"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    modules = _import_quietly()
    globals().update(modules)  # later look-ups find them without coming here
    return modules[name]
