"""The references list labels each entry the way the text cites it, "[Caruana, 1997]"
or "[Ma et al., 2018]", instead of pybtex's default "[Car97]" beside author-year
citations in the text.

_config.yml selects the style with ``bibtex_default_style: author_year_labels``.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsortedStyle
from pybtex.style.labels import BaseLabelStyle

NAME = "author_year_labels"


def surnames(entry) -> list[str]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]


def author_year(entry) -> str:
    names = surnames(entry)
    if len(names) > 2:
        who = f"{names[0]} et al."
    else:
        who = " and ".join(names)
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year(entry)


class AuthorYearStyle(UnsortedStyle):
    default_label_style = NAME
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.labels", NAME, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", NAME, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
