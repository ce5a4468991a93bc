"""Build another edition of the book from the one _config.yml, without copying it by hand.

    python scripts/build_book.py --student        # no solutions: _build/student/_build/html
    python scripts/build_book.py --teacher        # solutions, hidden tests, grading notes,
                                                  # and the classroom kit: _build/teacher
    python scripts/build_book.py --no-execute     # chapters not run (quick look at layout)

The configuration is _config.yml with the edition's changes, written beside the output
(with the local extensions' folder made absolute, since Jupyter Book resolves it
against the configuration file's folder). Extra arguments go to ``jupyter-book build``.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def edition_config(student: bool, execute: bool, teacher: bool = False) -> dict:
    if student and teacher:
        raise ValueError("choose one edition: --student or --teacher, not both")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: str((ROOT / path).resolve())
                                  for name, path in sphinx.get("local_extensions", {}).items()}
    if student:
        sphinx.setdefault("config", {})["student_edition"] = True  # book/_ext/student_edition.py
    if teacher:
        sphinx.setdefault("config", {})["teacher_edition"] = True  # book/_ext/autograded.py
    if not execute:
        config["execute"]["execute_notebooks"] = "off"
    return config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", action="store_true", help="leave every solution out")
    parser.add_argument("--teacher", action="store_true",
                        help="add the autograded exercises' tests and grading notes, and build "
                             "the classroom kit (student notebooks, autograders) beside the book")
    parser.add_argument("--no-execute", action="store_true", help="do not run the chapters")
    parser.add_argument("--out", help="output folder (default _build/<edition>, or _build/preview)")
    arguments, rest = parser.parse_known_args(argv)
    if arguments.student and arguments.teacher:
        parser.error("choose one edition: --student or --teacher, not both")
    name = "student" if arguments.student else "teacher" if arguments.teacher else "preview"
    out = pathlib.Path(arguments.out or ROOT / "_build" / name).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = out / "_config.yml"
    config.write_text(yaml.safe_dump(edition_config(arguments.student, not arguments.no_execute,
                                                    arguments.teacher)))
    jupyter_book = pathlib.Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--config", str(config),
               "--path-output", str(out), *rest]
    built = subprocess.run(command).returncode
    if built == 0 and arguments.teacher:
        import classroom  # scripts/classroom.py, beside this script

        for chapter in classroom.chapters():
            paths = classroom.assign(chapter, out / "classroom")
            print(f"{chapter}: {paths['student']}\n{' ' * len(chapter)}  {paths['autograder']}")
    return built


if __name__ == "__main__":
    sys.exit(main())
