"""The import rules of ARCHITECTURE.md, as import-linter contracts in pyproject.toml:
each module of funrec imports only those below it, and the training loop knows no
option table. (tests/test_benchmark_imports.py keeps benchmarks on public names.)"""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0, \
        "an import breaks a contract in pyproject.toml: run lint-imports to see which"
