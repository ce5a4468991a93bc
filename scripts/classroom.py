"""The classroom kit: one autograded assignment per chapter, graded without Docker.

    python scripts/classroom.py assign [--out DIR] [CHAPTER ...]
    python scripts/classroom.py grade CHAPTER SUBMISSION_OR_FOLDER ... [--csv scores.csv]

Each chapter's assignment is an Otter-Grader master notebook, ``classroom/<chapter>.ipynb``:
the question, the solution and its tests, public and hidden, in one reviewable file.
``assign`` runs Otter Assign on it and writes, under DIR (default ``_build/classroom``):

- ``<chapter>/student/<chapter>.ipynb``: what students get, with no solution and only
  the public tests (``grader.check("<question>")`` runs them);
- ``<chapter>/autograder/``: the solution notebook and ``<chapter>-autograder_*.zip``,
  the tests a teacher grades with, hidden ones included.

``grade`` runs every submission (a notebook, or every notebook in a folder) through
``otter run``'s grading in this Python environment, one after the other (no Docker:
the environment must have requirements.txt installed), prints a table of scores and
writes it as CSV. The autograder is built first if it is missing or older than the
master notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pathlib
import re
import sys
import time
from dataclasses import dataclass, field

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
MASTERS = ROOT / "classroom"
DEFAULT_OUT = ROOT / "_build" / "classroom"
# Otter Assign tags the cell where a student writes an answer with this.
ANSWER_CELL_TAG = "otter_answer_cell"
TEST_CONFIG = re.compile(r'^"""\s*# BEGIN TEST CONFIG\n(.*?)\n"""\s*# END TEST CONFIG\n', re.S)
SOLUTION_MARKERS = re.compile(r"^\s*# (BEGIN|END) SOLUTION\s*$")


@dataclass
class Test:
    source: str
    hidden: bool
    points: float
    failure_message: str = ""


@dataclass
class Question:
    name: str
    solution: list[str] = field(default_factory=list)   # the solution cells, markers removed
    tests: list[Test] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(test.points for test in self.tests)


def chapters() -> list[str]:
    """The chapters that have an assignment, in file-name order."""
    return sorted(path.stem for path in MASTERS.glob("*.ipynb"))


def master_path(chapter: str) -> pathlib.Path:
    path = MASTERS / f"{chapter}.ipynb"
    if not path.exists():
        raise ValueError(f"no assignment for chapter {chapter!r}: expected {path}; "
                         f"chapters with one: {', '.join(chapters())}")
    return path


def _delimiter(cell) -> str | None:
    """``BEGIN QUESTION``, ``END SOLUTION``, ... for Otter's raw delimiter cells."""
    if cell.cell_type != "raw":
        return None
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return first.removeprefix("#").strip() if first.startswith("#") else None


def _solution_code(source: str) -> str:
    """A solution cell as a reader should see it: Otter's markers gone."""
    lines = [line for line in source.splitlines() if not SOLUTION_MARKERS.match(line)]
    return "\n".join(re.sub(r"\s*# SOLUTION$", "", line) for line in lines).strip()


def _test(source: str) -> Test:
    match = TEST_CONFIG.match(source)
    config = yaml.safe_load(match.group(1)) if match else {}
    body = source[match.end():] if match else source
    return Test(body.strip(), bool(config.get("hidden", False)), float(config.get("points", 1)),
                config.get("failure_message", ""))


def read_master(chapter: str) -> list[Question]:
    """The questions of a chapter's master notebook, with solutions and tests."""
    questions, block = [], None
    for cell in nbformat.read(master_path(chapter), as_version=4).cells:
        delimiter = _delimiter(cell)
        if delimiter == "BEGIN QUESTION":
            questions.append(Question(yaml.safe_load(cell.source)["name"]))
        elif delimiter in ("BEGIN SOLUTION", "BEGIN TESTS"):
            block = delimiter.split()[1]
        elif delimiter in ("END SOLUTION", "END TESTS", "END QUESTION"):
            block = None
        elif block == "SOLUTION" and cell.cell_type == "code":
            questions[-1].solution.append(_solution_code(cell.source))
        elif block == "TESTS" and cell.cell_type == "code":
            questions[-1].tests.append(_test(cell.source))
    return questions


def _otter_quietly(function, *args, **kwargs):
    """Otter prints its progress and logo; keep it for errors only."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            return function(*args, **kwargs)
    except Exception:
        sys.stderr.write(printed.getvalue())
        raise


def assign(chapter: str, out: pathlib.Path = DEFAULT_OUT) -> dict[str, pathlib.Path]:
    """Otter Assign on the chapter's master: its student notebook and autograder zip."""
    from otter.assign import main as otter_assign

    target = (out / chapter).resolve()
    _otter_quietly(otter_assign, str(master_path(chapter)), str(target), no_pdfs=True,
                   no_run_tests=True)
    return built(chapter, out)


def built(chapter: str, out: pathlib.Path = DEFAULT_OUT) -> dict[str, pathlib.Path]:
    """Where ``assign`` put the chapter's student notebook and autograder zip."""
    target = out / chapter
    zips = sorted((target / "autograder").glob("*.zip"))
    return {"student": target / "student" / f"{chapter}.ipynb",
            "solution": target / "autograder" / f"{chapter}.ipynb",
            "autograder": zips[-1] if zips else target / "autograder" / "missing.zip"}


def autograder_for(chapter: str, out: pathlib.Path = DEFAULT_OUT) -> pathlib.Path:
    """The chapter's autograder zip, built again when the master is newer."""
    paths = built(chapter, out)
    if (not paths["autograder"].exists()
            or paths["autograder"].stat().st_mtime < master_path(chapter).stat().st_mtime):
        paths = assign(chapter, out)
    return paths["autograder"]


def submissions_in(paths) -> list[pathlib.Path]:
    found = []
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            found.extend(sorted(path.glob("*.ipynb")))
        elif path.suffix == ".ipynb" and path.exists():
            found.append(path)
        else:
            raise ValueError(f"{path} is neither a notebook nor a folder of notebooks")
    if not found:
        raise ValueError(f"no submitted notebooks (*.ipynb) found in {', '.join(map(str, paths))}")
    return found


def grade_one(submission: pathlib.Path, autograder: pathlib.Path) -> dict:
    """One submission's score and the tests it failed, from Otter's grading without Docker."""
    from otter.api import grade_submission

    start = time.perf_counter()
    results = _otter_quietly(grade_submission, str(submission), str(autograder), quiet=True)
    failed = [name for name, test in results.to_dict().items()
              if test.get("score", 0) < test.get("possible", 0)]
    return {"submission": submission.name, "score": results.total,
            "possible": results.possible, "public_passed": results.passed_all_public,
            "failed": ", ".join(failed), "seconds": round(time.perf_counter() - start, 1)}


def grade(chapter: str, paths, out: pathlib.Path = DEFAULT_OUT):
    """A table of every submission's score for the chapter's assignment."""
    import pandas as pd

    submissions = submissions_in(paths)  # before minutes of building and grading
    autograder = autograder_for(chapter, out)
    return pd.DataFrame([grade_one(submission, autograder) for submission in submissions])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("assign", help="build student notebooks and autograders")
    make.add_argument("chapters", nargs="*", help=f"default: all ({', '.join(chapters())})")
    make.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    mark = commands.add_parser("grade", help="grade submitted notebooks of one chapter")
    mark.add_argument("chapter", choices=chapters())
    mark.add_argument("submissions", nargs="+", help="notebooks or folders of notebooks")
    mark.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                      help="where the autograder is (built there if missing)")
    mark.add_argument("--csv", type=pathlib.Path, help="also write the scores here")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "assign":
            for chapter in arguments.chapters or chapters():
                paths = assign(chapter, arguments.out)
                print(f"{chapter}: {paths['student']}  {paths['autograder']}")
            return 0
        scores = grade(arguments.chapter, arguments.submissions, arguments.out)
    except ValueError as error:
        parser.error(str(error))
    print(scores.to_string(index=False))
    if arguments.csv:
        scores.to_csv(arguments.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
