"""Small helpers the chapters use to show the package's own code."""

from __future__ import annotations

import inspect

from IPython.display import Code


def show_source(obj) -> Code:
    """The source of a function or class as the package ships it, highlighted,
    so the book shows exactly the code that runs."""
    return Code(inspect.getsource(obj), language="python")
