"""Rewrite the README's list of run_experiment options from funrec/options.py.

    python scripts/readme_options.py

The list sits between the markers ``<!-- options:start -->`` and
``<!-- options:end -->``; tests/test_options.py fails when it is out of date.
"""

from pathlib import Path

from funrec.options import GROUPS, MODEL_NAMES, OPTIONS

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- options:start -->", "<!-- options:end -->"


def markdown_table() -> str:
    """The options as the README lists them, a table per group."""
    lines = []
    for group in GROUPS:
        lines += [f"**{group.capitalize()}**", "",
                  "| option | flag | default | what it sets |", "|---|---|---|---|"]
        for o in (o for o in OPTIONS if o.group == group):
            flag = f"`{o.flag_name}`" if o.flag else "Python only"
            models = "" if o.models == MODEL_NAMES else f" ({', '.join(o.models)})"
            lines.append(f"| `{o.name}` | {flag} | `{o.default!r}` | {o.help}{models} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def with_options(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{markdown_table()}{END}{after}"


if __name__ == "__main__":
    README.write_text(with_options(README.read_text()))
    print(f"wrote the option list into {README}")
