"""Pictures of what the gates do.

Every function takes the gate weights that
:meth:`funrec.ExperimentResult.gate_weights` returns,
``{(level, task): (expert_names, array[rows, experts])}``, and returns a
matplotlib Figure (one panel per level, per task or per run).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

CMAP = "Blues"
# Sizes for a page that may be 400 px wide: panels are stacked, one a row, each about
# 330 px wide at 90 dpi, so a phone shows them unshrunk and 10-point text stays about
# 12 px high (a 9-inch row of three panels shrank its labels to about 4 px).
MAX_COLUMNS = 1
PANEL_WIDTH, PANEL_HEIGHT = 3.7, 2.8
TEXT, SMALL_TEXT, TITLE = 10, 8, 11


def levels_of(gates: dict) -> list[int]:
    """The levels that hold gates, bottom first."""
    return sorted({level for level, _ in gates})


def _tasks_at(gates: dict, level: int) -> list[str]:
    # Task gates in the order the model built them, the shared gate last.
    tasks = [task for lev, task in gates if lev == level and task != "shared"]
    return tasks + (["shared"] if (level, "shared") in gates else [])


def gate_matrix(gates: dict, level: int = 0):
    """Mean and spread (std over rows) of each gate's weight on each expert at one level.

    Returns ``(tasks, experts, mean, std)``: ``mean`` and ``std`` are
    [task, expert] arrays, NaN where the task's gate cannot see the expert
    (CGC and PLE give each gate only some of the experts).
    """
    tasks = _tasks_at(gates, level)
    if not tasks:
        raise ValueError(f"no gates at level {level}; levels present: {levels_of(gates)}.")
    experts = []
    for task in tasks:
        experts += [name for name in gates[(level, task)][0] if name not in experts]
    mean = np.full((len(tasks), len(experts)), np.nan)
    std = np.full_like(mean, np.nan)
    for i, task in enumerate(tasks):
        names, weights = gates[(level, task)]
        columns = [experts.index(name) for name in names]
        mean[i, columns] = weights.mean(axis=0)
        std[i, columns] = weights.std(axis=0)
    return tasks, experts, mean, std


def _draw(ax, mean, rows, columns, title, std=None):
    """One annotated heatmap on ``ax``: the mean, and '±std' under it when given."""
    crowded = mean.shape[1] > (4 if std is not None else 5)
    size = SMALL_TEXT if crowded else TEXT
    ax.imshow(np.ma.masked_invalid(mean), cmap=CMAP, vmin=0, vmax=1, aspect="auto")
    for (i, j), m in np.ndenumerate(mean):
        if np.isnan(m):
            ax.text(j, i, "–", ha="center", va="center", color="0.6")
            continue
        text = f"{m:.2f}" if std is None else f"{m:.2f}\n±{std[i, j]:.2f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=size,
                color="white" if m > 0.6 else "black")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=TEXT)
    ax.set_yticks(range(len(rows)), rows, fontsize=TEXT)
    ax.set_title(title, fontsize=TITLE)


def _panels(n: int, width: float = PANEL_WIDTH, height: float = PANEL_HEIGHT):
    """``n`` panels, at most ``MAX_COLUMNS`` to a row; unused grid cells are removed."""
    columns = min(n, MAX_COLUMNS)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), dpi=90,
                             squeeze=False)
    axes = list(axes.ravel())
    for spare in axes[n:]:
        spare.remove()
    return fig, axes[:n]


def gate_heatmap(gates: dict, level: int | None = None, title: str | None = None):
    """Task x expert heatmap of mean gate weight, annotated with mean ± std over rows.

    ``level=None`` draws every level side by side (one panel per level: PLE);
    a number draws only that level. A dash marks an expert the gate cannot see.
    """
    levels = levels_of(gates) if level is None else [level]
    fig, axes = _panels(len(levels))
    for ax, lev in zip(axes, levels):
        tasks, experts, mean, std = gate_matrix(gates, lev)
        label = f"level {lev}" if len(levels_of(gates)) > 1 else "gate weights"
        _draw(ax, mean, tasks, experts, label if title is None else f"{title}: {label}", std)
    for ax in axes[::MAX_COLUMNS]:
        ax.set_ylabel("gate (task)")
    fig.tight_layout()
    return fig


def segment_means(gates: dict, segment, level: int = 0) -> dict:
    """For each gate at ``level``: (expert names, values, [value, expert] mean weights).

    ``segment`` holds one category code per row (e.g.
    ``result.test.features["user_active_degree"]``); it is cut to the rows the
    gate weights were computed on.
    """
    out = {}
    for task in _tasks_at(gates, level):
        names, weights = gates[(level, task)]
        codes = np.asarray(segment)[: len(weights)]
        values = np.unique(codes)
        out[task] = (names, values, np.stack([weights[codes == v].mean(axis=0) for v in values]))
    return out


def gate_heatmap_by_segment(gates: dict, segment, level: int = 0, labels=None,
                            segment_name: str = "segment"):
    """One panel per task: mean gate weight per expert for each value of a
    categorical feature (rows). ``labels`` maps codes to names (a dict, or a
    sequence indexed by ``code - 1`` as the simulator codes categories 1..K)."""
    means = segment_means(gates, segment, level)
    fig, axes = _panels(len(means))
    for ax, (task, (names, values, mean)) in zip(axes, means.items()):
        if labels is None:
            rows = [str(v) for v in values]
        elif isinstance(labels, dict):
            rows = [str(labels.get(v, v)) for v in values]
        else:
            rows = [str(labels[v - 1]) for v in values]
        _draw(ax, mean, rows, names, f"gate of {task}")
    for ax in axes[::MAX_COLUMNS]:
        ax.set_ylabel(segment_name)
    fig.tight_layout()
    return fig


def sweep_heatmaps(runs: dict, level: int | None = None):
    """One heatmap per run, side by side: ``runs`` maps a panel title (e.g. the
    setting and its AUC) to that run's gate weights. ``level=None`` takes each
    run's top level."""
    fig, axes = _panels(len(runs), height=PANEL_HEIGHT + 0.2)  # two-line titles
    for ax, (title, gates) in zip(axes, runs.items()):
        lev = levels_of(gates)[-1] if level is None else level
        tasks, experts, mean, _ = gate_matrix(gates, lev)
        _draw(ax, mean, tasks, experts, title)
    fig.tight_layout()
    return fig


def heatmap(matrix, rows, columns, title: str = ""):
    """Any [row, column] table of shares (0..1) drawn like the gate heatmaps."""
    fig, axes = _panels(1)
    _draw(axes[0], np.asarray(matrix, dtype=float), list(rows), list(columns), title)
    fig.tight_layout()
    return fig


def block_diagram(layers, edges, title: str = "", ax=None, width: float = 4.5):
    """A small architecture sketch: ``layers`` lists boxes from bottom to top
    (a label, or ``(label, colour)``); ``edges`` joins ``(layer, box)`` pairs
    with arrows. Returns the Figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(width, min(4.0, 0.6 * len(layers) + 0.4)), dpi=90)
    places = {}
    for i, boxes in enumerate(layers):
        for j, box in enumerate(boxes):
            label, colour = (box, "0.9") if isinstance(box, str) else box
            x = (j + 0.5) / len(boxes)
            places[(i, j)] = (x, i)
            ax.text(x, i, label, ha="center", va="center", fontsize=SMALL_TEXT, zorder=3,
                    bbox=dict(boxstyle="round,pad=0.3", fc=colour, ec="0.4", lw=0.6))
    for start, end in edges:
        ax.annotate("", xy=places[end], xytext=places[start], zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color="0.55", lw=0.6,
                                    shrinkA=9, shrinkB=9))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, len(layers) - 0.5)
    ax.axis("off")
    ax.set_title(title, fontsize=TITLE)
    return ax.figure
