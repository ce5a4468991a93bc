"""Interactive explorers for the chapters: pick an architecture's settings, click
**Train**, and see its gate weights and AUC table a few seconds later.

Nothing trains until the button is clicked, so executing a chapter only builds
the controls. Each click retrains a small model on tiny data (``TINY``) with
:func:`funrec.run_experiment`; the numbers are noisier than the chapter's.
"""

from __future__ import annotations

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


class Explorer:
    """Controls, a Train button and an output area around one training function.

    ``train(**values)`` gets the controls' current values and returns an
    :class:`~funrec.ExperimentResult`; :meth:`update` runs it and shows the gate
    heatmap (every level) and the AUC table. Display the explorer to use it.
    """

    def __init__(self, controls: dict, train):
        self.controls, self.train = controls, train
        self.button = w.Button(description="Train", button_style="primary", icon="play")
        self.output = w.Output()
        self.button.on_click(lambda _: self.update())
        row = w.HBox(list(controls.values()) + [self.button],
                     layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox([row, self.output])
        self.result = self.figure = self.table = None

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> pd.DataFrame:
        """Train with the current settings and redraw; returns the AUC table."""
        self.button.disabled = True
        try:
            with self.output:
                self.output.clear_output(wait=True)
                print("training ...")
                start = time.perf_counter()
                self.result = self.train(**self.values())
                self.figure = gate_heatmap(self.result.gate_weights())
                self.table = auc_table(self.result)
                self.output.clear_output(wait=True)
                print(f"{self.result.name}: {self.result.n_params:,} parameters, "
                      f"trained and scored in {time.perf_counter() - start:.1f} s")
                display(self.figure, self.table)
                plt.close(self.figure)
        finally:
            self.button.disabled = False
        return self.table

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


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
