"""CGC and PLE (Tang et al., 2020).

A CGC level gives every task its own experts and keeps a pool of shared ones.
Task t's gate sees only its own and the shared experts:

    h_t = sum_k g_t,k c_k + sum_j g_t,M+j t_t^j,   g_t = softmax(W_t x_t)

PLE stacks L such levels. Below the top, a shared gate also mixes *all* experts
into the shared input of the next level; the top level feeds the towers,
y_t = f_t(h_t^(L)). CGC is PLE with one level.
"""

from .._tensorflow import keras
from ..features import build_inputs, embed_and_concat
from ..layers import experts, mix_experts, task_towers


def cgc_level(task_inputs, shared_input, level, task_experts, shared_experts,
              expert_units, gate_units=(), gate=None, is_last=True):
    """One extraction level. Returns each task's mixture and, below the top,
    the shared mixture that becomes the next level's shared input."""
    shared = experts(shared_input, shared_experts, expert_units, "shared", level)
    own = {t: experts(x, task_experts, expert_units, t, level)
           for t, x in task_inputs.items()}
    task_out = {t: mix_experts([own[t], shared], task_inputs[t], task=t, level=level,
                               gate_units=gate_units, gate=gate)
                for t in task_inputs}
    if is_last:
        return task_out, None
    return task_out, mix_experts([*own.values(), shared], shared_input, task="shared",
                                 level=level, gate_units=gate_units, gate=gate)


def build_ple(columns, tasks, num_levels=2, task_experts=1, shared_experts=2,
              expert_units=(64, 32), tower_units=(32,), gate_units=(), gate=None,
              task_type="binary"):
    inputs = build_inputs(columns)
    x = embed_and_concat(columns, inputs)
    task_inputs, shared_input = {t: x for t in tasks}, x
    for level in range(num_levels):
        task_inputs, shared_input = cgc_level(
            task_inputs, shared_input, level, task_experts, shared_experts, expert_units,
            gate_units, gate, is_last=level == num_levels - 1)
    outputs = task_towers(task_inputs, tower_units, task_type)
    return keras.Model(inputs, outputs, name="ple" if num_levels > 1 else "cgc")


def build_cgc(columns, tasks, **kwargs):
    if kwargs.setdefault("num_levels", 1) != 1:
        raise ValueError("CGC is PLE with exactly one level; use 'ple' for more levels.")
    return build_ple(columns, tasks, **kwargs)
