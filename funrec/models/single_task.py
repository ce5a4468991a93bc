"""The single-task baseline: for every task its own embeddings, bottom and tower,
with nothing shared. It has the Shared-Bottom structure, so the difference
between the two is the multi-task gain (PLE paper, eq. 11)."""

from .._tensorflow import keras
from ..features import build_inputs, embed_and_concat
from ..layers import mlp, task_towers


def build_single_task(columns, tasks, bottom_units=(128, 64), tower_units=(32,),
                      task_type="binary"):
    inputs = build_inputs(columns)
    # Disjoint parameters: summing the losses trains each network as if alone.
    bottoms = {t: mlp(bottom_units, name=f"bottom_{t}")(
                   embed_and_concat(columns, inputs, prefix=f"{t}_"))
               for t in tasks}
    outputs = task_towers(bottoms, tower_units, task_type)
    return keras.Model(inputs, outputs, name="single_task")
