"""Interactive explorers for the chapters: pick an architecture's settings, click
**Train**, and see its gate weights and AUC table a few seconds later.

Building an explorer trains nothing. Displaying it runs the default settings once, so
the output area already holds a result, and adds that result as a static picture
(``text/html``) beside the live widget: the HTML book, which has no kernel, shows the
picture and a line saying the explorer runs live in Jupyter or Colab. Each click
retrains a small model on tiny data (``TINY``) with :func:`funrec.run_experiment`;
the numbers are noisier than the chapter's. The first click on a setting traces the
model's training step; later clicks with the same architecture (another conflict
level, say) reuse it and train at once.
"""

from __future__ import annotations

import base64
import html
import io
import time

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from .experiment import ExperimentResult, run_experiment
from .plots import gate_heatmap

# Small enough for a few seconds per click on two CPU cores (benchmarks/explorer_clicks.py).
TINY = dict(n_rows=30_000, epochs=1, batch_size=512)


def auc_table(result: ExperimentResult) -> pd.DataFrame:
    """Test AUC and oracle AUC per task (and their macro mean), one row per task."""
    row = result.table.iloc[0]
    tasks = [c[len("auc_"):] for c in result.table.columns
             if c.startswith("auc_") and c != "auc_macro"]
    table = pd.DataFrame({"AUC": [row[f"auc_{t}"] for t in tasks]}, index=tasks)
    if all(f"oracle_auc_{t}" in row for t in tasks):
        table["oracle AUC"] = [row[f"oracle_auc_{t}"] for t in tasks]
    table.loc["macro"] = table.mean()
    return table.round(4)


def conflict_slider(value: float = 1.0) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=0.0, max=1.0, step=0.25, description="conflict",
                         continuous_update=False)


def count_slider(description: str, value: int, low: int, high: int) -> w.IntSlider:
    return w.IntSlider(value=value, min=low, max=high, description=description,
                       style={"description_width": "initial"}, continuous_update=False)


LIVE_NOTE = ("This explorer runs live in Jupyter or Colab (open the chapter there and "
             "click {label}); below is its result for the default settings{settings}.")


def gates_and_aucs(result: ExperimentResult) -> list:
    """What the model explorers show: a summary line, the gate heatmap of every level
    and the AUC table."""
    return [f"{result.name}: {result.n_params:,} parameters",
            gate_heatmap(result.gate_weights()), auc_table(result)]


GATES_ALT = ("Gate heatmap of every level of the model trained at the explorer's default "
             "settings: one row per gate, one column per expert, each cell the gate's mean "
             "weight on that expert; then the model's AUC per task beside the oracle's.")


def as_html(item, alt: str = "explorer result") -> str:
    """One shown item (text, figure, table) as static HTML; figures become PNG images
    whose alternative text is ``alt``."""
    if isinstance(item, plt.Figure):
        buffer = io.BytesIO()
        item.savefig(buffer, format="png", bbox_inches="tight")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" />'
    if isinstance(item, pd.DataFrame):
        return item.to_html()
    return f"<p>{html.escape(str(item))}</p>"


class Explorer:
    """Controls, a Train button and an output area around one training function.

    ``train(**values)`` gets the controls' current values and returns a result;
    ``show(result)`` turns it into the items to display (text, figures, tables), by
    default :func:`gates_and_aucs` for an :class:`~funrec.ExperimentResult`;
    ``label`` names the button; ``alt`` says what the static stand-in's figure shows,
    for readers who cannot see it (by default, what :func:`gates_and_aucs` draws).
    :meth:`update` runs both; display the explorer to use it.
    """

    def __init__(self, controls: dict, train, show=gates_and_aucs, label: str = "Train",
                 alt: str = GATES_ALT):
        self.controls, self.train, self.show, self.alt = controls, train, show, alt
        self.button = w.Button(description=label, button_style="primary", icon="play")
        self.output = w.Output()
        self.button.on_click(lambda _: self.update())
        row = w.HBox(list(controls.values()) + [self.button],
                     layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox([row, self.output])
        self.result = self.figure = self.table = self.preview = None

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self):
        """Train with the current settings and redraw; returns the last table shown
        (the AUC table for the model explorers)."""
        self.button.disabled = True
        try:
            with self.output:
                self.output.clear_output(wait=True)
                print("training ...")
                start = time.perf_counter()
                self.result = self.train(**self.values())
                items = list(self.show(self.result))
                self.output.clear_output(wait=True)
                print(f"done in {time.perf_counter() - start:.1f} s")
                self._remember(items)
                display(*items)
                for figure in (i for i in items if isinstance(i, plt.Figure)):
                    plt.close(figure)
        finally:
            self.button.disabled = False
        return self.table

    def _remember(self, items: list) -> None:
        figures = [i for i in items if isinstance(i, plt.Figure)]
        tables = [i for i in items if isinstance(i, pd.DataFrame)]
        self.figure = figures[-1] if figures else None
        self.table = tables[-1] if tables else None
        if self.preview is None:  # the first run is the one with the default settings
            settings = ", ".join(f"{name} = {value}" for name, value in self.values().items())
            note = LIVE_NOTE.format(label=self.button.description,
                                   settings=f" ({settings})" if settings else "")
            self.preview = ('<div class="funrec-explorer-preview">'
                            f'<p class="funrec-live-note">{html.escape(note)}</p>'
                            + "".join(as_html(i, self.alt) for i in items) + "</div>")

    def _repr_mimebundle_(self, **kwargs):
        if self.preview is None:
            self.update()
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.preview
        return bundle


def mmoe_explorer(**overrides) -> Explorer:
    """MMoE (or OMoE): number of experts and conflict level in; heatmap and AUC out.

    ``overrides`` go to :func:`run_experiment` on top of ``TINY``."""
    controls = dict(model=w.ToggleButtons(options=[("MMoE", "mmoe"), ("OMoE", "omoe")],
                                          value="mmoe", style={"button_width": "60px"}),
                    num_experts=count_slider("experts", 4, 2, 8),
                    conflict=conflict_slider())

    def train(model, **values):
        return run_experiment(model, show=False, **{**TINY, **values, **overrides})

    return Explorer(controls, train)


def ple_explorer(**overrides) -> Explorer:
    """PLE: levels, task-specific and shared experts in; heatmaps for every level
    (shared gates included) and the AUC table out. One level is CGC."""
    controls = dict(num_levels=count_slider("levels", 2, 1, 3),
                    task_experts=count_slider("task experts", 1, 1, 3),
                    shared_experts=count_slider("shared experts", 2, 1, 4),
                    conflict=conflict_slider())

    def train(**values):
        return run_experiment("ple", show=False, **{**TINY, **values, **overrides})

    return Explorer(controls, train)
