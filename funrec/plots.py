"""Pictures of what the gates do, and of the long studies' results.

The gate functions take the gate weights that
:meth:`funrec.ExperimentResult.gate_weights` returns,
``{(level, task): (expert_names, array[rows, experts])}``; the study functions
take the tables that :func:`funrec.results.load` returns. Each returns a
matplotlib Figure (one panel per level, per task, per run, per model or per
task correlation).
"""

from __future__ import annotations

import itertools

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


# ---------------------------------------------------------------- study results

def phase_diagram(frame, metric: str = "gain_macro", scale: float = 100.0, models=None):
    """Width x competition level map of each model's MTL gain (one panel per model).

    ``frame`` is the capacity study's table (``funrec.results.load("capacity_conflict")``).
    Each cell shows the mean of ``metric`` over seeds times ``scale`` (AUC x 100 by
    default) and its 95 % interval; red cells lost to the single-task baseline, blue
    ones gained, and a dash marks a model that could not be sized to that width."""
    from .stats import gain_intervals

    cells = gain_intervals(frame, metric)
    models = list(dict.fromkeys(cells.model)) if models is None else list(models)
    widths = sorted(frame.width.unique())
    conflicts = sorted(frame.conflict.unique())
    levels = [_level_name(frame, c) for c in conflicts]
    limit = max(1e-9, float(np.nanmax(np.abs(cells["mean"]))) * scale)
    fig, axes = _panels(len(models), width=2.9, height=2.6)
    for ax, model in zip(axes, models):
        mine = cells[cells.model == model].set_index(["width", "conflict"])
        values = _cell_values(mine, widths, conflicts, scale)
        ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto", origin="lower")
        for (i, width), (j, conflict) in itertools.product(enumerate(widths),
                                                           enumerate(conflicts)):
            strong = abs(values.filled(0)[i, j]) > 0.6 * limit  # white text on dark cells
            ax.text(j, i, _cell_text(mine, (width, conflict), scale), ha="center",
                    va="center", fontsize=6.5, color="white" if strong else "black")
        ax.set_xticks(range(len(conflicts)), levels, rotation=30, ha="right", fontsize=7)
        ax.set_yticks(range(len(widths)), [str(w) for w in widths], fontsize=8)
        ax.set_title(model, fontsize=9)
    axes[0].set_ylabel("width (Shared-Bottom bottom w, w/2)", fontsize=8)
    fig.suptitle(f"{metric} x {scale:g}, mean [95 % interval] over seeds", fontsize=9)
    fig.tight_layout()
    return fig


def _level_name(frame, conflict) -> str:
    if "level" not in frame:
        return f"{conflict:g}"
    return str(frame.loc[frame.conflict == conflict, "level"].iloc[0]).replace("_", " ")


def _cell_values(cells, widths, conflicts, scale):
    values = np.full((len(widths), len(conflicts)), np.nan)
    for (i, width), (j, conflict) in itertools.product(enumerate(widths), enumerate(conflicts)):
        if (width, conflict) in cells.index:
            values[i, j] = cells.loc[(width, conflict), "mean"] * scale
    return np.ma.masked_invalid(values)


def _cell_text(cells, where, scale) -> str:
    if where not in cells.index:
        return "–"
    cell = cells.loc[where]
    if np.isnan(cell["low"]):
        return f"{cell['mean'] * scale:+.2f}"
    return f"{cell['mean'] * scale:+.2f}\n[{cell['low'] * scale:+.1f}, {cell['high'] * scale:+.1f}]"


def training_loss_curves(frame, logy: bool = True):
    """The MMoE paper's Figure 4 per epoch: training loss against epoch, one panel per
    task correlation, one line per model (mean over seeds) with the range over seeds
    shaded. ``frame`` is ``funrec.results.load("mmoe_synthetic")``."""
    columns = sorted((c for c in frame.columns if c.startswith("train_loss_")),
                     key=lambda c: int(c.rsplit("_", 1)[1]))
    if not columns:
        raise ValueError("the table has no train_loss_<epoch> columns; it must come from "
                         "benchmarks/mmoe_synthetic.py.")
    epochs = np.arange(1, len(columns) + 1)
    correlations = sorted(frame.correlation.unique())
    fig, axes = _panels(len(correlations), width=3.0, height=2.7)
    for ax, p in zip(axes, correlations):
        for colour, (model, group) in zip(("C0", "C3", "C2", "C1"),
                                          frame[frame.correlation == p].groupby("model")):
            losses = group[columns].to_numpy(dtype=float)
            ax.plot(epochs, losses.mean(axis=0), color=colour, lw=1.4,
                    label=f"{model} ({len(group)} runs)")
            ax.fill_between(epochs, losses.min(axis=0), losses.max(axis=0), color=colour,
                            alpha=0.2, lw=0)
        ax.set_title(f"correlation p = {p:g}", fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        if logy:
            ax.set_yscale("log")
    axes[0].set_ylabel("training loss (sum of task MSEs)", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def final_loss_spread(frame, column: str = "train_mse", logy: bool = True):
    """The MMoE paper's Figure 5 (trainability): the final loss of every run, one
    panel per task correlation, one column of points per model over a box of their
    quartiles. ``column`` is ``train_mse`` or ``test_mse``."""
    correlations = sorted(frame.correlation.unique())
    models = sorted(frame.model.unique())
    fig, axes = _panels(len(correlations), width=2.6, height=2.7)
    rng = np.random.default_rng(0)  # horizontal jitter only, so points do not overlap
    for ax, p in zip(axes, correlations):
        here = frame[frame.correlation == p]
        values = [here.loc[here.model == m, column].to_numpy(dtype=float) for m in models]
        ax.boxplot(values, widths=0.5, showfliers=False)
        for i, v in enumerate(values, 1):
            ax.plot(i + rng.uniform(-0.12, 0.12, len(v)), v, "o", ms=3, alpha=0.7,
                    color="C0" if models[i - 1] == "mmoe" else "C3")
        ax.set_xticks(range(1, len(models) + 1), models, fontsize=7)
        ax.set_title(f"correlation p = {p:g}", fontsize=9)
        if logy:
            ax.set_yscale("log")
    axes[0].set_ylabel(f"final {column.replace('_', ' ')}", fontsize=8)
    fig.tight_layout()
    return fig


def forest_plot(intervals, label_columns=("regime", "comparison"), title: str = "",
                xlabel: str = "difference in macro AUC x 100 (95 % interval)"):
    """One row per comparison: its mean as a dot and its interval as a bar, a line at 0.

    ``intervals`` has ``mean``, ``low`` and ``high`` columns (e.g. the gates map's
    ``gates_map_primary`` table) and the ``label_columns`` that name each row; a row
    whose interval lies wholly above or below zero is drawn dark, the others light."""
    rows = list(intervals.itertuples(index=False))
    fig, ax = plt.subplots(figsize=(PANEL_WIDTH * 1.6, 0.45 * len(rows) + 1.1))
    for y, row in enumerate(reversed(rows)):
        clear = row.low > 0 or row.high < 0
        color = "tab:blue" if clear else "tab:gray"
        ax.plot([row.low, row.high], [y, y], color=color, lw=2)
        ax.plot([row.mean], [y], "o", color=color)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([": ".join(str(getattr(r, c)) for c in label_columns)
                        for r in reversed(rows)], fontsize=SMALL_TEXT)
    ax.set_xlabel(xlabel, fontsize=SMALL_TEXT)
    if title:
        ax.set_title(title, fontsize=TITLE)
    fig.tight_layout()
    return fig
