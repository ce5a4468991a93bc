"""The book's structure: every chapter in the table of contents, each of the same
shape, and the Colab install cell pointing at the repository named in _config.yml."""

import html
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from clean_notebooks import CHECK_OUTPUT_TAG, asserts_outside_guard  # noqa: E402

from book_layout import APPENDICES, APPENDIX_EXERCISES  # noqa: E402

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
    assert len([p for p in CHAPTERS if p.stem not in APPENDICES]) == 5
    assert {p.stem for p in CHAPTERS} >= set(APPENDICES)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_this_repository_in_colab_only(path):
    first = nbformat.read(path, as_version=4).cells[0]
    url = f"git+{CONFIG['repository']['url']}@{CONFIG['repository']['branch']}"
    assert first.cell_type == "code"
    assert 'if "google.colab" in sys.modules:' in first.source
    assert url in first.source
    assert "remove-cell" in first.metadata.get("tags", []), "readers of the HTML need no install"


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


EXERCISE_START = re.compile(r"```\{exercise-start\}[^\n]*\n((?::[\w-]+:[^\n]*\n)*)")


def exercise_options(markdown: str) -> list[dict]:
    """Each exercise's options (label, class) as written under ``exercise-start``."""
    return [dict(re.findall(r":([\w-]+):\s*([^\n]*)", options))
            for options in EXERCISE_START.findall(markdown)]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_the_classroom_shape(path):
    """At least four exercises, each with its solution, one of them autograded (its
    assignment in classroom/), and a self-check quiz of at least three questions before
    the exercises. An appendix (tests/book_layout.py says why) has two exercises and no
    assignment."""
    from funrec.notebook import quiz_questions

    cells = nbformat.read(path, as_version=4).cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    exercises = exercise_options(markdown)
    appendix = path.stem in APPENDICES
    least = APPENDIX_EXERCISES if appendix else 4
    assert len(exercises) >= least, f"{path.name}: {len(exercises)} exercises"
    for options in exercises:
        assert f"{{solution-start}} {options['label']}" in markdown, options
    graded = [o for o in exercises if "autograded" in o.get("class", "").split()]
    if appendix:
        assert not graded and not (ROOT / "classroom" / f"{path.stem}.ipynb").exists()
    else:
        assert graded, f"{path.name}: no exercise of class autograded"
        assert f"```{{autograded}} {path.stem}\n" in markdown
        assert (ROOT / "classroom" / f"{path.stem}.ipynb").exists()
    quiz = [i for i, c in enumerate(cells)
            if c.cell_type == "code" and f'self_check("{path.stem}")' in c.source]
    exercises_at = next(i for i, c in enumerate(cells) if "## Exercises" in c.source)
    assert len(quiz) == 1 and quiz[0] < exercises_at, "one self-check, before the exercises"
    assert "remove-input" in cells[quiz[0]].metadata.get("tags", [])
    assert len(quiz_questions(path.stem)) >= 3


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_only_those_nbval_checks(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        assert "NBVAL_" not in cell.source, "nbval markers are cell tags, not comments readers see"
        if cell.cell_type == "code" and CHECK_OUTPUT_TAG not in cell.metadata.get("tags", []):
            assert not cell.outputs, f"{path.name}: strip outputs (scripts/clean_notebooks.py)"


DIRECTIVE = re.compile(r"```\{(exercise|solution)-(start|end)\}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_solution_code_sits_inside_its_box(path):
    """Once the exercises begin, every code cell a reader sees is inside a solution box,
    so a collapsed solution hides its code and output too."""
    open_box, exercises_began = None, False
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            for kind, edge in DIRECTIVE.findall(cell.source):
                exercises_began = True
                assert (open_box is None) == (edge == "start"), f"{path.name} cell {index}"
                open_box = kind if edge == "start" else None
        elif exercises_began and "remove-cell" not in cell.metadata.get("tags", []):
            assert open_box == "solution", f"{path.name} cell {index}: code outside a solution box"
    assert open_box is None, f"{path.name}: a box is never closed"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_hidden_checks_run_only_when_claims_are_checked(path):
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code":
            assert not ("remove-cell" in cell.metadata.get("tags", [])
                        and asserts_outside_guard(cell.source)), \
                f"{path.name} cell {index}: wrap the check in `if checking_claims():`"


def test_config_builds_notebooks_and_cites_the_three_papers():
    assert CONFIG["execute"]["execute_notebooks"] == "force"
    assert CONFIG["execute"]["raise_on_error"] is True, "a failing chapter fails the build"
    assert CONFIG["sphinx"]["config"]["nb_ipywidgets_js"] == {}, "no widget manager from a CDN"
    bib = (ROOT / "book" / "references.bib").read_text()
    for key in ("caruana1997multitask", "ma2018modeling", "tang2020progressive"):
        assert key in bib


def test_claim_checks_run_only_when_the_tests_ask(monkeypatch):
    """A reader's "Run all" skips the hidden checks. Every chapter is also run as a
    reader runs it, FUNREC_CHECK_CLAIMS unset, by the test command's book build, so a
    chapter that needed a check's code to run fails there."""
    from funrec.notebook import CHECK_CLAIMS_VARIABLE, checking_claims

    monkeypatch.delenv(CHECK_CLAIMS_VARIABLE, raising=False)
    assert not checking_claims()
    for value, checks in (("0", False), ("yes", False), ("1", True)):
        monkeypatch.setenv(CHECK_CLAIMS_VARIABLE, value)
        assert checking_claims() is checks


@pytest.mark.book
@pytest.mark.parametrize("cell, named", [
    ("1 / 0", "ZeroDivisionError"),
    # a stalled cell, against a bound of 2 s: fails naming its cell (book/_ext/notebook_client.py)
    ("import time\ntime.sleep(60)", "cell index 1 (code cell 1): A cell timed out"),
], ids=["raises", "stalls"])
def test_a_chapter_that_fails_stops_the_build_and_is_named(tmp_path, cell, named):
    """The main command builds with _config.yml: a chapter that raises, or stalls past
    its bound, must make jupyter-book exit non-zero and name that chapter and what
    happened in which cell (not warn and 'succeed')."""
    for name in ("_config.yml", "book/_ext", "book/references.bib"):
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    config["execute"]["timeout"] = 2
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/broken_chapter\n")
    (tmp_path / "book" / "index.md").write_text("# A book\n")
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Broken"),
                                             nbformat.v4.new_code_cell(cell)])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
    nbformat.write(broken, tmp_path / "book" / "broken_chapter.ipynb")
    jupyter_book = pathlib.Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jupyter_book), "build", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "broken_chapter.ipynb" in done.stdout + done.stderr
    assert named in done.stdout + done.stderr


MARKUP = re.compile(r"\$[^$]*\$|`[^`]*`|\*+|_[^_]*_")


def plain_run(text: str) -> str:
    """The longest stretch of a text that renders as itself (no math, code or emphasis)."""
    return max((piece.strip() for piece in MARKUP.split(text)), key=len, default="")


def page_text(page: str) -> str:
    """What a page reads as: tags gone, spaces collapsed, Sphinx's curly quotes straight."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for curly, straight in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                            ("\u2013", "--"), ("\u2014", "---")):
        text = text.replace(curly, straight)
    return " ".join(text.split())


def solution_snippets(notebook) -> list[str]:
    """For every solution, a stretch of its text and the longest line of each code cell
    a reader would see inside its box: what must not show in the student edition."""
    found, inside = [], False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for piece in cell.source.split("```{solution-start}")[1:]:
                body = piece.split("```", 1)[1].split("```{solution-end}")[0]
                found.append(plain_run(" ".join(body.split())))
            for kind, edge in DIRECTIVE.findall(cell.source):
                inside = kind == "solution" and edge == "start"
        elif inside and "remove-cell" not in cell.metadata.get("tags", []):
            found.append(max(cell.source.splitlines(), key=len).strip())
    return [snippet for snippet in found if len(snippet) >= 20]


@pytest.mark.book
def test_student_edition_leaves_out_every_solution_and_its_code(tmp_path):
    """The student edition (built here without running the chapters) keeps every
    exercise and shows no solution box, solution text or solution code."""
    from build_book import edition_config, main

    student, teacher = edition_config(student=True, execute=True), edition_config(False, True)
    assert student["sphinx"]["config"]["student_edition"] is True
    assert "student_edition" not in teacher["sphinx"]["config"]
    assert student["execute"] == CONFIG["execute"]

    assert main(["--student", "--no-execute", "--out", str(tmp_path), "-q"]) == 0
    for path in CHAPTERS:
        page = (tmp_path / "_build" / "html" / "book" / f"{path.stem}.html").read_text()
        notebook = nbformat.read(path, as_version=4)
        exercises = sum(c.source.count("{exercise-start}") for c in notebook.cells)
        boxes = [c for c in re.findall(r'<div class="([^"]*)"', page)
                 if {"exercise", "admonition"} <= set(c.split())]
        assert len(boxes) == exercises, path.stem
        assert "solution-content" not in page and "Solution to" not in page, path.stem
        text = page_text(page)
        snippets = solution_snippets(notebook)
        assert len(snippets) >= exercises
        for snippet in snippets:
            assert snippet not in text, (path.stem, snippet)


@pytest.mark.book
def test_teacher_edition_adds_tests_and_grading_notes_and_builds_the_kit(tmp_path):
    """The teacher edition (built here without running the chapters) shows, under each
    autograded exercise, the reference solution and every test, hidden ones marked, with
    the grading notes; beside the book it holds each chapter's student notebook and
    autograder."""
    from build_book import edition_config, main
    from classroom import read_master

    assert edition_config(False, True, teacher=True)["sphinx"]["config"]["teacher_edition"]
    with pytest.raises(ValueError, match="--student or --teacher"):
        edition_config(True, True, teacher=True)

    assert main(["--teacher", "--no-execute", "--out", str(tmp_path), "-q"]) == 0
    for path in (p for p in CHAPTERS if p.stem not in APPENDICES):
        page = page_text((tmp_path / "_build" / "html" / "book" / f"{path.stem}.html").read_text())
        assert "For the teacher: question" in page, path.stem
        for question in read_master(path.stem):
            longest = max(question.solution[0].splitlines(), key=len)
            assert " ".join(longest.split()) in page, (path.stem, longest)
            for test in question.tests:
                name = test.source.split("def ", 1)[1].split("(", 1)[0]
                assert name in page and test.failure_message in page, (path.stem, name)
            assert page.count("hidden test,") == sum(t.hidden for t in question.tests)
        kit = tmp_path / "classroom" / path.stem
        assert (kit / "student" / f"{path.stem}.ipynb").exists()
        assert list((kit / "autograder").glob("*.zip")), path.stem


EQUATION_LABEL = re.compile(r"^\$\$ \(([\w-]+)\)$", re.MULTILINE)
ARCHITECTURE_CHAPTERS = ("shared_bottom", "mmoe", "ple")


def book_text() -> str:
    """Every chapter's markdown and every page of the book, as one text."""
    parts = [c.source for path in CHAPTERS for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "markdown"]
    return "\n".join(parts + [p.read_text() for p in (ROOT / "book").glob("*.md")])


def test_architecture_chapters_number_their_equations_and_refer_to_them():
    """Each architecture chapter labels at least three displayed equations, and every
    labelled equation of the book is referred to by {eq} somewhere (in any chapter)."""
    text = book_text()
    for path in CHAPTERS:
        markdown = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                             if c.cell_type == "markdown")
        labels = EQUATION_LABEL.findall(markdown)
        if path.stem in ARCHITECTURE_CHAPTERS:
            assert len(labels) >= 3, f"{path.stem}: {labels}"
        for label in labels:
            assert f"{{eq}}`{label}`" in text, f"{path.stem}: equation {label} never referred to"
