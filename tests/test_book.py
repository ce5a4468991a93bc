"""The book's structure: every chapter in the table of contents, each of the same
shape, and the Colab install cell pointing at the repository named in _config.yml."""

import pathlib

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [ROOT / f"{entry['file']}.ipynb" for entry in TOC["chapters"]
            if (ROOT / f"{entry['file']}.ipynb").exists()]


def test_toc_lists_every_chapter_notebook_and_they_exist():
    listed = {entry["file"] for entry in TOC["chapters"]}
    on_disk = {f"book/{p.stem}" for p in (ROOT / "book").glob("*.ipynb")}
    assert on_disk <= listed, f"notebooks missing from _toc.yml: {on_disk - listed}"
    for name in listed:
        assert any((ROOT / f"{name}{ext}").exists() for ext in (".ipynb", ".md")), name
    assert len(CHAPTERS) == 5


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_this_repository_in_colab_only(path):
    first = nbformat.read(path, as_version=4).cells[0]
    url = f"git+{CONFIG['repository']['url']}@{CONFIG['repository']['branch']}"
    assert first.cell_type == "code"
    assert 'if "google.colab" in sys.modules:' in first.source
    assert url in first.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_the_book_shape(path):
    notebook = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    titles = [line for line in markdown.splitlines() if line.startswith("# ")]
    assert len(titles) == 1, titles
    for part in ("{admonition} Objectives", "## Summary", "## Exercises", "## References",
                 "{exercise-start}", "{solution-start}", "{cite}"):
        assert part in markdown, f"{path.name} lacks {part}"
    assert "run_experiment" in code or "funrec" in code
    assert any("remove-cell" in c.metadata.get("tags", []) for c in notebook.cells), \
        "claims are asserted by hidden cells"
    assert not any("/work/" in c.source or "/tmp/" in c.source for c in notebook.cells), \
        "no absolute paths"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_only_those_nbval_checks(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" not in cell.source:
            assert not cell.outputs, f"{path.name}: strip outputs (scripts/clean_notebooks.py)"


def test_config_builds_notebooks_and_cites_the_three_papers():
    assert CONFIG["execute"]["execute_notebooks"] == "force"
    bib = (ROOT / "book" / "references.bib").read_text()
    for key in ("caruana1997multitask", "ma2018modeling", "tang2020progressive"):
        assert key in bib
