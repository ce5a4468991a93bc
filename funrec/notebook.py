"""Small helpers the chapters use: show the package's own code, decide whether
the hidden claim checks run, and show a chapter's self-check quiz.

A chapter's claims ("MMoE's gates move apart as the drivers diverge") are asserted
by hidden cells. Those checks are for the book's maintainers, not for readers: they
run only when the environment variable ``FUNREC_CHECK_CLAIMS`` is ``1`` (the
README's test command sets it), never in a reader's "Run all" in Jupyter or Colab,
and never in the main build. A hidden cell reads::

    from funrec.notebook import checking_claims
    if checking_claims():
        assert ...
"""

from __future__ import annotations

import inspect
import json
import os
from importlib.resources import files

from IPython.display import Code

CHECK_CLAIMS_VARIABLE = "FUNREC_CHECK_CLAIMS"


def checking_claims() -> bool:
    """True when the tests asked for the chapters' claims to be checked."""
    return os.environ.get(CHECK_CLAIMS_VARIABLE, "") == "1"


def show_source(obj) -> Code:
    """The source of a function or class as the package ships it, highlighted,
    so the book shows exactly the code that runs."""
    return Code(inspect.getsource(obj), language="python")


# The quizzes' questions live in funrec/quizzes/<chapter>.json, shipped with the package so
# that a chapter opened alone (in Colab, say) finds them too.
QUIZ_TYPES = ("multiple_choice", "many_choice", "numeric")
# jupyterquiz loads MathJax from a CDN when it finds a MathJax that cannot typeset yet; the
# book serves MathJax itself, so that branch must never fetch anything.
CDN_MATHJAX = "script.src = 'https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js';"
# Run the quiz once the page has loaded and MathJax (if the page has it) has started: an
# inline script runs before the book's deferred MathJax, which jupyterquiz would mistake
# for a MathJax that is missing its typesetter.
WHEN_PAGE_READY = """(function () {
  function showQuiz() {
%s
  }
  function whenTypesetterReady() {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise.then(showQuiz);
    } else {
      showQuiz();
    }
  }
  if (document.readyState === "complete") {
    whenTypesetterReady();
  } else {
    window.addEventListener("load", whenTypesetterReady);
  }
})();"""


def quiz_questions(chapter: str) -> list[dict]:
    """The self-check questions of a chapter (``funrec/quizzes/<chapter>.json``)."""
    path = files("funrec") / "quizzes" / f"{chapter}.json"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".json") for p in (files("funrec") / "quizzes").iterdir()
                       if p.name.endswith(".json"))
        raise ValueError(f"no quiz for chapter {chapter!r}; chapters with a quiz: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def offline_quiz_script(script: str) -> str:
    """jupyterquiz's script with its CDN fallback cut out, run when the page is ready
    (tests/test_quizzes.py checks that no other host is named in what is left)."""
    return WHEN_PAGE_READY % script.replace(CDN_MATHJAX, "return;")


def self_check(chapter: str) -> None:
    """Show the chapter's quiz: it runs in the page (static HTML, Jupyter, Colab) with no
    kernel behind it, and explains every wrong answer."""
    from IPython.display import HTML, Javascript, display
    from IPython.utils.capture import capture_output
    from jupyterquiz import display_quiz

    with capture_output() as shown:
        display_quiz(quiz_questions(chapter))
    if len(shown.outputs) != 2:  # outside IPython, display() prints instead
        raise RuntimeError("self_check shows a quiz in Jupyter, Colab or a book build, "
                           "not in a plain Python session")
    container, script = (output.data for output in shown.outputs)
    display(HTML(container["text/html"]))
    display(Javascript(offline_quiz_script(script["application/javascript"])))
