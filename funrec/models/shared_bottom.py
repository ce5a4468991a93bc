"""Shared-Bottom (Caruana, 1997): one bottom network for all tasks, one tower each.

    y_t = f_t(g(x))
"""

from .._tensorflow import keras
from ..features import build_inputs, embed_and_concat
from ..layers import mlp, task_towers


def build_shared_bottom(columns, tasks, bottom_units=(128, 64), tower_units=(32,),
                        task_type="binary"):
    inputs = build_inputs(columns)
    x = embed_and_concat(columns, inputs)
    shared = mlp(bottom_units, name="shared_bottom")(x)                # g(x)
    outputs = task_towers({t: shared for t in tasks}, tower_units, task_type)
    return keras.Model(inputs, outputs, name="shared_bottom")
