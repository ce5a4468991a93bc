"""Autograded exercises in the book, from the assignments in ``classroom/<chapter>.ipynb``.

Inside an exercise's solution, a chapter writes::

    ```{autograded} data_metrics
    Grading notes: what the tests check, where students lose points.
    ```

and the page shows the assignment's solution code, read from the Otter master notebook
(scripts/classroom.py reads it), so the book and the autograder never drift apart. The
teacher edition (``teacher_edition = True``: scripts/build_book.py --teacher) also shows
every test, hidden ones marked, with its points and the message a student gets when it
fails, and the grading notes; the other editions leave both out. The student edition
drops the whole solution (book/_ext/student_edition.py), this directive's output included.
"""

from __future__ import annotations

import pathlib
import sys

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "scripts"


def classroom():
    """scripts/classroom.py, which reads the master notebooks (imported when first needed,
    so a book without autograded exercises builds without it)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    import classroom as module
    return module


def code_block(source: str) -> nodes.literal_block:
    block = nodes.literal_block(source, source)
    block["language"] = "python"
    return block


def points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


class AutogradedDirective(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self):
        chapter = self.arguments[0]
        try:
            questions = classroom().read_master(chapter)
        except ValueError as error:
            raise self.error(str(error))
        self.env.note_dependency(str(classroom().master_path(chapter)))
        shown = []
        for question in questions:
            shown.extend(code_block(source) for source in question.solution)
            if self.config.teacher_edition:
                shown.append(self.tests_and_notes(chapter, question))
        return shown

    def tests_and_notes(self, chapter, question) -> nodes.Element:
        box = nodes.admonition(classes=["teacher-notes"])
        box += nodes.title(text=f"For the teacher: question {question.name} "
                                f"of classroom/{chapter}.ipynb, {points(question.points)}")
        for test in question.tests:
            kind = "hidden test" if test.hidden else "public test"
            box += nodes.paragraph(text=f"{kind}, {points(test.points)}; on failure the student "
                                        f"reads: {test.failure_message}")
            box += code_block(test.source)
        if self.content:
            notes = nodes.container(classes=["grading-notes"])
            notes += nodes.paragraph("", "", nodes.strong(text="Grading notes."))
            self.state.nested_parse(self.content, self.content_offset, notes)
            box += notes
        return box


def setup(app):
    app.add_config_value("teacher_edition", False, "env")
    app.add_directive("autograded", AutogradedDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
