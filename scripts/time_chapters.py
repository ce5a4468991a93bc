"""Execute every chapter notebook on a fresh kernel and print its wall time.

    python scripts/time_chapters.py [book/chapter.ipynb ...]
"""

import glob
import sys
import time

import nbformat
from nbclient import NotebookClient

total = 0.0
for path in sys.argv[1:] or sorted(glob.glob("book/*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": "book"}}).execute()
    seconds = time.perf_counter() - start
    total += seconds
    print(f"{path:32s} {seconds:6.1f} s", flush=True)
print(f"{'whole book':32s} {total:6.1f} s")
