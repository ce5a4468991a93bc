"""The benchmarks measure the package through its public names only, so a change
inside funrec cannot break them silently."""

import ast

import pytest
from benchmark_scripts import BENCHMARKS

SCRIPTS = sorted(BENCHMARKS.glob("*.py"))


def private_uses(tree: ast.AST) -> list[str]:
    """Names starting with ``_`` imported from funrec, or attributes read that start so."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("funrec"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            found += [node.module] if "._" in node.module else []
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names
                      if a.name.startswith("funrec") and "._" in a.name]
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
              and not node.attr.startswith("__")):
            found.append(f".{node.attr}")
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_benchmarks_use_only_public_names_of_funrec(script):
    assert private_uses(ast.parse(script.read_text())) == []


def test_the_check_finds_a_private_name():
    code = "from funrec.experiment import _simulated\nimport funrec._tensorflow\nx.training._STEPS"
    assert private_uses(ast.parse(code)) == ["funrec.experiment._simulated",
                                             "funrec._tensorflow", "._STEPS"]
