"""MMoE (Ma et al., 2018) and its one-gate ancestor OMoE.

    e_k = f_k(x),   g_t(x) = softmax(W_t x),   h_t = sum_k g_t,k(x) e_k,   y_t = f_t(h_t)

OMoE is the same network with a single gate g(x) shared by every task.
"""

from .._tensorflow import keras
from ..features import build_inputs, embed_and_concat
from ..layers import experts, mix_experts, task_towers


def build_mmoe(columns, tasks, num_experts=4, expert_units=(64, 32), tower_units=(32,),
               gate_units=(), gate=None, one_gate=False, task_type="binary"):
    inputs = build_inputs(columns)
    x = embed_and_concat(columns, inputs)
    pool = experts(x, num_experts, expert_units, name="expert")        # e_1 .. e_K
    if one_gate:
        h = mix_experts([pool], x, task="all", gate_units=gate_units, gate=gate)
        mixtures = {t: h for t in tasks}
    else:
        mixtures = {t: mix_experts([pool], x, task=t, gate_units=gate_units, gate=gate)
                     for t in tasks}
    outputs = task_towers(mixtures, tower_units, task_type)
    return keras.Model(inputs, outputs, name="omoe" if one_gate else "mmoe")


def build_omoe(columns, tasks, **kwargs):
    return build_mmoe(columns, tasks, one_gate=True, **kwargs)
