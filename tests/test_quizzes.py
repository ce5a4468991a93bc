"""The chapters' self-check quizzes (funrec/quizzes/<chapter>.json, shown by
funrec.notebook.self_check): well formed, every wrong answer explained, the numbers
they ask for the ones the package computes, and nothing loaded from another host.
tests/browser/test_pages.py answers one on a built page."""

import json
import pathlib
import re

import pytest
import yaml
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from funrec.notebook import QUIZ_TYPES, quiz_questions, self_check

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [pathlib.Path(entry["file"]).name for entry in TOC["chapters"]
            if (ROOT / f"{entry['file']}.ipynb").exists()]


def numeric_answer(chapter: str, words: str) -> float:
    question = next(q for q in quiz_questions(chapter) if words in q["question"])
    return next(a["value"] for a in question["answers"] if a.get("correct"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_wrong_answer_is_explained(chapter):
    questions = quiz_questions(chapter)
    assert len(questions) >= 3
    for question in questions:
        assert question["type"] in QUIZ_TYPES, question["type"]
        # Plain text: no TeX for the page's typesetter to miss while the quiz draws itself.
        assert "$" not in json.dumps(question), question["question"]
        answers = question["answers"]
        wrong = [a for a in answers if not a.get("correct")]
        if question["type"] == "numeric":
            assert sum(bool(a.get("correct")) for a in answers) == 1
            assert any(a.get("type") == "default" for a in wrong), "feedback for any other number"
        else:
            assert sum(a["correct"] for a in answers) == 1 and len(wrong) >= 2
        for answer in wrong:
            assert len(answer.get("feedback", "").split()) >= 5, (question["question"], answer)


def test_an_unknown_chapter_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="chapters with a quiz: .*data_metrics"):
        quiz_questions("data-metrics")


def test_the_gauc_question_has_the_packages_answer():
    from funrec.metrics import gauc

    value, _ = gauc([1, 0, 0, 1, 0, 0], [0.8, 0.9, 0.1, 0.7, 0.2, 0.5], list("AAABBC"))
    assert numeric_answer("data_metrics", "impression-weighted GAUC") == pytest.approx(value)


def test_the_gate_count_question_has_the_models_answer():
    import funrec
    from funrec.data import simulate_kuairand
    from funrec.features import feature_columns
    from funrec.models import gate_layers

    small = simulate_kuairand(n_rows=2_000, seed=0)
    ple = funrec.BUILDERS["ple"](feature_columns(small), small.tasks, num_levels=2,
                                 task_experts=1, shared_experts=2)
    assert numeric_answer("ple", "How many gates") == len(gate_layers(ple))


@pytest.fixture
def shell():
    """display() as in a kernel, so that its outputs can be captured; gone afterwards."""
    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def test_self_check_refuses_a_plain_python_session():
    with pytest.raises(RuntimeError, match="not in a plain Python session"):
        self_check("ple")


def test_the_quiz_is_self_contained_and_waits_for_the_page(shell):
    with capture_output() as shown:
        self_check("mmoe")
    html, script = (output.data for output in shown.outputs)
    container = re.search(r'<div id="(\w+)"', html["text/html"]).group(1)
    code = script["application/javascript"]
    assert "<style>" in html["text/html"], "its style comes inline"
    assert "://" not in html["text/html"] + code, "nothing from another host"
    assert container in code, "the script fills the container shown before it"
    assert "polarised" in code and "polarised" not in html["text/html"], \
        "the questions travel inside the script"
    assert 'addEventListener("load"' in code and "startup.promise" in code
