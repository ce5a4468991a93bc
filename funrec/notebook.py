"""Small helpers the chapters use: show the package's own code, and decide whether
the hidden claim checks run.

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
import os

from IPython.display import Code

CHECK_CLAIMS_VARIABLE = "FUNREC_CHECK_CLAIMS"


def checking_claims() -> bool:
    """True when the tests asked for the chapters' claims to be checked."""
    return os.environ.get(CHECK_CLAIMS_VARIABLE, "") == "1"


def show_source(obj) -> Code:
    """The source of a function or class as the package ships it, highlighted,
    so the book shows exactly the code that runs."""
    return Code(inspect.getsource(obj), language="python")
