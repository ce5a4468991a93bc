"""Keep chapter notebooks small in git and their structure the one the book expects.

    python scripts/clean_notebooks.py book/*.ipynb
    python scripts/clean_notebooks.py --guard-checks book/*.ipynb

Every run:

- drops every output except those of cells tagged ``nbval-check-output`` (the cells
  nbval compares in ``--nbval-lax`` mode), and drops widget state. Checked cells keep
  an execution count (nbval skips a cell with outputs and no count as "unrun"); all
  others lose theirs;
- turns an old ``# NBVAL_CHECK_OUTPUT`` comment into that tag, so readers never see it;
- tags the Colab install cell ``remove-cell``: readers of the HTML need not install;
- moves a ``solution-end`` that closes a markdown cell to after the code cells that
  follow it, so a solution's code and output sit inside its collapsed box.

With ``--guard-checks`` it also wraps every hidden cell (tag ``remove-cell``) that
asserts something in ``if checking_claims():``, so a reader's "Run all" never stops on
a maintainer's claim check. It is not done on every run because hidden cells that
``glue`` numbers into the text must keep running for readers.
"""

import argparse
import ast

import nbformat

CHECK_OUTPUT_TAG = "nbval-check-output"
CHECK_OUTPUT_COMMENT = "# NBVAL_CHECK_OUTPUT"
HIDDEN_TAG = "remove-cell"
COLAB_GUARD = '"google.colab" in sys.modules'
SOLUTION_END = "```{solution-end}\n```"
CHECK_GUARD = "from funrec.notebook import checking_claims\n\nif checking_claims():\n"


def tags(cell) -> list:
    return cell.metadata.setdefault("tags", [])


def add_tag(cell, tag: str) -> None:
    if tag not in tags(cell):
        tags(cell).append(tag)


def is_hidden_code(cell) -> bool:
    return cell.cell_type == "code" and HIDDEN_TAG in cell.metadata.get("tags", [])


def comment_markers_to_tags(notebook) -> None:
    for cell in notebook.cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "code" and CHECK_OUTPUT_COMMENT in (l.strip() for l in lines):
            cell.source = "\n".join(l for l in lines if l.strip() != CHECK_OUTPUT_COMMENT)
            add_tag(cell, CHECK_OUTPUT_TAG)


def hide_colab_install_cell(notebook) -> None:
    first = notebook.cells[0]
    if first.cell_type == "code" and COLAB_GUARD in first.source:
        add_tag(first, HIDDEN_TAG)


def close_solutions_after_their_code(notebook) -> None:
    """A markdown cell that ends with ``solution-end`` right before code cells leaves
    that code outside the box; end the box after the code instead."""
    cells = notebook.cells
    i = 0
    while i < len(cells) - 1:
        cell = cells[i]
        ends_box = cell.cell_type == "markdown" and cell.source.rstrip().endswith(SOLUTION_END)
        if ends_box and cells[i + 1].cell_type == "code":
            cell.source = cell.source.rstrip()[: -len(SOLUTION_END)].rstrip()
            last_code = i + 1
            while last_code + 1 < len(cells) and cells[last_code + 1].cell_type == "code":
                last_code += 1
            cells.insert(last_code + 1, nbformat.v4.new_markdown_cell(SOLUTION_END))
            i = last_code + 1
        i += 1


def asserts_outside_guard(source: str) -> bool:
    """True when the cell has an ``assert`` that ``if checking_claims():`` does not guard."""
    def unguarded(node, guarded):
        if isinstance(node, ast.Assert):
            return not guarded
        if isinstance(node, ast.If) and ast.unparse(node.test) == "checking_claims()":
            guarded = True
        return any(unguarded(child, guarded) for child in ast.iter_child_nodes(node))
    return unguarded(ast.parse(source), False)


def guard_claim_checks(notebook) -> None:
    for cell in notebook.cells:
        if is_hidden_code(cell) and asserts_outside_guard(cell.source):
            body = "".join(f"    {line}" if line.strip() else line
                           for line in cell.source.splitlines(keepends=True))
            cell.source = CHECK_GUARD + body


def strip_unchecked_outputs(notebook) -> None:
    checked = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if CHECK_OUTPUT_TAG in cell.metadata.get("tags", []):
            checked += 1
            cell.execution_count = checked
        else:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        if not cell.metadata.get("tags"):
            cell.metadata.pop("tags", None)
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}


def clean(path: str, guard_checks: bool = False) -> None:
    notebook = nbformat.read(path, as_version=4)
    comment_markers_to_tags(notebook)
    hide_colab_install_cell(notebook)
    close_solutions_after_their_code(notebook)
    if guard_checks:
        guard_claim_checks(notebook)
    strip_unchecked_outputs(notebook)
    nbformat.write(notebook, path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="chapter notebooks to clean in place")
    parser.add_argument("--guard-checks", action="store_true",
                        help="wrap hidden cells' asserts in `if checking_claims():`")
    arguments = parser.parse_args()
    for name in arguments.paths:
        clean(name, guard_checks=arguments.guard_checks)
