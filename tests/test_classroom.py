"""The classroom kit (scripts/classroom.py): every chapter's autograded assignment, built
by Otter Assign from classroom/<chapter>.ipynb, gives students a notebook without the
solution or the hidden tests, and grading without Docker gives the reference solution and
a correct sample submission full marks and a wrong one less (tests/classroom/<chapter>/)."""

import json
import pathlib
import shutil
import sys
import zipfile

import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import classroom  # noqa: E402
from book_layout import APPENDICES  # noqa: E402

SAMPLES = pathlib.Path(__file__).resolve().parent / "classroom"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
# Appendices have no assignment (tests/book_layout.py says why).
BOOK_CHAPTERS = [pathlib.Path(entry["file"]).name for entry in TOC["chapters"]
                 if (ROOT / f"{entry['file']}.ipynb").exists()
                 and pathlib.Path(entry["file"]).name not in APPENDICES]
NEXT_ANSWER_CELL = "# %%"


def test_every_chapter_has_an_assignment_and_samples():
    assert classroom.chapters() == sorted(BOOK_CHAPTERS)
    for chapter in BOOK_CHAPTERS:
        questions = classroom.read_master(chapter)
        assert questions and all(q.solution for q in questions), chapter
        for question in questions:
            kinds = {test.hidden for test in question.tests}
            assert kinds == {False, True}, f"{chapter}: a public and a hidden test per question"
            assert all(test.failure_message for test in question.tests), chapter
        assert {p.name for p in (SAMPLES / chapter).glob("*.py")} == {"correct.py", "wrong.py"}


def test_bad_chapter_or_submission_path_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="chapters with one: data_metrics"):
        classroom.master_path("mmeo")
    with pytest.raises(ValueError, match="no submitted notebooks"):
        classroom.submissions_in([tmp_path])
    with pytest.raises(SystemExit):
        classroom.main(["grade", "ple", str(tmp_path / "missing.ipynb")])


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """Otter Assign's output for every chapter, in a fresh folder."""
    out = tmp_path_factory.mktemp("classroom")
    return out, {chapter: classroom.assign(chapter, out) for chapter in classroom.chapters()}


def solution_lines(chapter):
    """The lines a student must write: those between the solution markers of the master
    (the `# SOLUTION` line's right-hand side included)."""
    lines, inside = [], False
    for cell in nbformat.read(classroom.master_path(chapter), as_version=4).cells:
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
                inside = line.strip() == "# BEGIN SOLUTION"
            elif inside:
                lines.append(line.strip())
            elif line.rstrip().endswith("# SOLUTION"):  # `name = answer  # SOLUTION`
                lines.append(line.rstrip().removesuffix("# SOLUTION").strip())
    return [line for line in lines if len(line) > 12]


def function_name(source: str) -> str:
    return source.split("def ", 1)[1].split("(", 1)[0]


@pytest.mark.grading
@pytest.mark.parametrize("chapter", BOOK_CHAPTERS)
def test_students_get_no_solution_nor_hidden_test_and_teachers_get_both(kit, chapter):
    out, built = kit
    student = built[chapter]["student"].read_text()
    teacher = built[chapter]["solution"].read_text()
    with zipfile.ZipFile(built[chapter]["autograder"]) as archive:
        graded = "\n".join(archive.read(name).decode() for name in archive.namelist()
                           if name.startswith("tests/"))
    lines = solution_lines(chapter)
    assert lines
    for line in lines:
        assert json.dumps(line)[1:-1] not in student, (chapter, line)
        assert json.dumps(line)[1:-1] in teacher, (chapter, line)
    for question in classroom.read_master(chapter):
        for test in question.tests:
            name = function_name(test.source)
            assert name in graded, (chapter, name)
            assert (name in student) == (not test.hidden), (chapter, name, test.hidden)


def submission(student: pathlib.Path, sample: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """The student notebook with its answer cells filled in from a sample file."""
    notebook = nbformat.read(student, as_version=4)
    answers = [c for c in notebook.cells
               if classroom.ANSWER_CELL_TAG in c.metadata.get("tags", [])]
    codes = [part.strip() for part in sample.read_text().split(NEXT_ANSWER_CELL)]
    assert len(answers) == len(codes), (sample, len(answers))
    for cell, code in zip(answers, codes):
        cell.source = code
    folder.mkdir(exist_ok=True)
    path = folder / f"{sample.stem}.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.grading
@pytest.mark.parametrize("chapter", BOOK_CHAPTERS)
def test_grading_gives_the_correct_sample_full_marks_and_the_wrong_one_less(kit, chapter,
                                                                             tmp_path):
    out, built = kit
    folder = tmp_path / "submissions"
    for sample in ("correct", "wrong"):
        submission(built[chapter]["student"], SAMPLES / chapter / f"{sample}.py", folder)
    # The reference solution, as the book and the teacher's notebook show it, graded too.
    shutil.copy(built[chapter]["solution"], folder / "reference.ipynb")
    scores = classroom.grade(chapter, [folder], out).set_index("submission")
    right, wrong = scores.loc["correct.ipynb"], scores.loc["wrong.ipynb"]
    assert right.possible == classroom.read_master(chapter)[0].points
    assert right.score == right.possible, right.failed
    assert scores.loc["reference.ipynb"].score == right.possible
    assert wrong.score < wrong.possible
    # The wrong sample passes the public test: the hidden tests are what catch it.
    assert wrong.public_passed, wrong.failed
