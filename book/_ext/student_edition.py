"""The student edition: the book with every solution left out, code cells included.

sphinx-exercise's own ``hide_solutions`` drops only the ``solution-start`` marker of a
gated solution, so the text and code cells between it and ``solution-end`` stayed on
the page. With ``student_edition = True`` (scripts/build_book.py --student sets it)
this transform removes each gated solution whole, from its start to its end, before
sphinx-exercise merges them into boxes, and every plain ``solution`` directive too.
"""

from __future__ import annotations

from sphinx.transforms import SphinxTransform
from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node


class DropSolutions(SphinxTransform):
    default_priority = 9  # before sphinx-exercise's MergeGatedSolutions (10)

    def apply(self, **kwargs) -> None:
        if not self.config.student_edition:
            return
        for start in list(self.document.findall(solution_start_node)):
            siblings = start.parent.children
            first = siblings.index(start)
            last = next(i for i in range(first, len(siblings))
                        if isinstance(siblings[i], solution_end_node))
            for node in siblings[first:last + 1]:
                start.parent.remove(node)
        for solution in list(self.document.findall(solution_node)):
            solution.parent.remove(solution)


def setup(app):
    app.add_config_value("student_edition", False, "env")
    app.add_transform(DropSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
