"""Rewrite the README's list of run_experiment options from funrec/options.py.

    python scripts/readme_options.py

The list sits between the markers ``<!-- options:start -->`` and
``<!-- options:end -->``; tests/test_options.py fails when it is out of date.
"""

from pathlib import Path

from funrec.options import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- options:start -->", "<!-- options:end -->"


def with_options(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{markdown_table()}{END}{after}"


if __name__ == "__main__":
    README.write_text(with_options(README.read_text()))
    print(f"wrote the option list into {README}")
