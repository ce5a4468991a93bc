"""The built book loads nothing from another host, so it reads the same in a classroom
behind a firewall as online.

- MathJax comes from the copy that requirements.txt installs (the ``mathjax`` package of
  django-static-mathjax ships MathJax's built files); the parts a page can load are
  copied to ``_static/mathjax`` and ``mathjax_path`` points there.
- Thebe is not offered (readers run chapters in Colab or Jupyter), so its scripts, which
  name a CDN and were added twice to every page, are left out; so is the saved widget
  state (tens of kilobytes a page) that only a widget manager would read.

The widget manager is not needed: _config.yml gives widget outputs their static
stand-in (``nb_mime_priority_overrides``) and loads no widget script (``nb_ipywidgets_js``).
"""

from __future__ import annotations

import pathlib
import shutil

MATHJAX_ENTRY = "tex-mml-chtml.js"
# The combined TeX/MathML -> HTML component, its fonts, the TeX extensions it may load on
# demand, and the menu and accessibility parts a reader can switch on from it.
MATHJAX_PARTS = [MATHJAX_ENTRY, "output/chtml", "input/tex", "ui", "a11y", "sre"]


def mathjax_source() -> pathlib.Path:
    try:
        import mathjax
    except ImportError as error:
        raise ImportError("MathJax's files are missing: install requirements.txt "
                          "(django-static-mathjax provides them).") from error
    return pathlib.Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def use_local_mathjax(app, config) -> None:
    config.mathjax_path = f"mathjax/{MATHJAX_ENTRY}"


def copy_mathjax(app, exception) -> None:
    if app.builder.format != "html":
        return
    source, target = mathjax_source(), pathlib.Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        origin, destination = source / part, target / part
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, destination)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def unused(asset) -> bool:
    """Thebe's files and settings, and the widget state nothing on the page reads."""
    name = getattr(asset, "filename", None) or str(asset)
    attributes = getattr(asset, "attributes", {})
    return ("thebe" in (name or "") or "THEBE_JS_URL" in attributes.get("body", "")
            or attributes.get("type") == WIDGET_STATE)


def drop_unused_assets(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not unused(asset)]


def setup(app):
    mathjax_source()  # fail at the start of a build, not at its end
    app.connect("config-inited", use_local_mathjax)
    app.connect("html-page-context", drop_unused_assets)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
