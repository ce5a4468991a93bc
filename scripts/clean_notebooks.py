"""Keep chapter notebooks small in git: drop every output except those of cells
that nbval checks (marked ``# NBVAL_CHECK_OUTPUT``), and drop widget state.
Checked cells keep an execution count (nbval skips a cell with outputs and no
count as "unrun"); all others lose theirs.

    python scripts/clean_notebooks.py book/*.ipynb
"""

import sys

import nbformat

MARK = "# NBVAL_CHECK_OUTPUT"


def clean(path: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    checked = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if MARK in cell.source:
            checked += 1
            cell.execution_count = checked
        else:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        clean(name)
