"""The building blocks every architecture shares: MLP stacks, groups of experts,
prediction towers, and the softmax gate that mixes experts (and keeps its
weights inspectable)."""

from __future__ import annotations

import functools
import itertools
import operator

from ._tensorflow import keras


def mlp(units, name: str, activation: str = "relu") -> keras.Sequential:
    """A stack of fully connected layers."""
    return keras.Sequential([keras.layers.Dense(u, activation=activation) for u in units],
                            name=name)


class Experts(keras.layers.Layer):
    """K independent MLP experts applied to the same input: [batch, d] -> [K, batch, units[-1]].

    Expert k computes its own e_k(x) with its own weights. The K weight matrices
    of a layer sit in one [K, d_in, d_out] tensor, so one batched matrix product
    runs every expert at once (K separate Dense stacks give the same function but
    make TensorFlow trace K times as many operations). The outputs are kept expert
    first, [K, batch, units], the layout in which that product is cheapest.
    Each expert's slice is drawn independently, so no two experts start alike.
    """

    def __init__(self, num_experts: int, units, activation: str = "relu", **kwargs):
        super().__init__(**kwargs)
        self.num_experts, self.units = num_experts, tuple(units)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        # Glorot-uniform per expert: Keras counts K into both fans of a 3-D kernel.
        init = keras.initializers.VarianceScaling(self.num_experts, "fan_avg", "uniform")
        self.kernels, self.biases, d_in = [], [], input_shape[-1]
        for i, d_out in enumerate(self.units):
            self.kernels.append(self.add_weight(shape=(self.num_experts, d_in, d_out),
                                                initializer=init, name=f"kernel_{i}"))
            self.biases.append(self.add_weight(shape=(self.num_experts, 1, d_out),
                                               initializer="zeros", name=f"bias_{i}"))
            d_in = d_out

    def compute_output_shape(self, input_shape):
        # Declared, so that building a model does not trace call() just to learn it.
        return (self.num_experts, input_shape[0], self.units[-1])

    def call(self, x):
        h = x[None]  # [1, batch, d]: broadcast over the experts
        for kernel, bias in zip(self.kernels, self.biases):
            h = self.activation(keras.ops.matmul(h, kernel) + bias)
        return h


def experts(x, count: int, units, name: str, level: int | None = None):
    """A named group of experts on input x: (their names, their outputs [count, batch, units])."""
    layer_name = name if level is None else f"L{level}_{name}"
    return [f"{name}_{k}" for k in range(count)], Experts(count, units, name=layer_name)(x)


class ExpertGate(keras.layers.Layer):
    """g(x) = softmax(W x): one weight per expert, summing to 1 for every row.

    ``task``, ``level`` and ``expert_names`` label the weights for heatmaps;
    :func:`funrec.models.gate_weights` reads them for a batch of rows. Any layer
    built with the same arguments that returns [batch, experts] weights can take
    its place (``gate=`` of :func:`mix_experts` and of the gated builders).
    """

    def __init__(self, expert_names, task: str, level: int = 0, hidden_units=(), **kwargs):
        super().__init__(**kwargs)
        self.expert_names = list(expert_names)
        self.task, self.level = task, level
        self.hidden = mlp(hidden_units, name=f"{self.name}_hidden") if hidden_units else None
        self.logits = keras.layers.Dense(len(self.expert_names), use_bias=False)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.expert_names))

    def call(self, x):
        if self.hidden is not None:
            x = self.hidden(x)
        return keras.ops.softmax(self.logits(x), axis=-1)


def mix_experts(groups, gate_input, task: str, level: int = 0, gate_units=(), gate=None):
    """h = sum_k g_k(x) e_k over the experts of the given groups (from :func:`experts`).

    ``gate`` is the gate's class (default :class:`ExpertGate`); a subclass of it
    changes how the weights are computed and keeps them inspectable."""
    names = [name for group_names, _ in groups for name in group_names]
    weights = (gate or ExpertGate)(names, task=task, level=level, hidden_units=gate_units,
                                   name=f"gate_L{level}_{task}")(gate_input)  # [batch, K]
    # One group at a time, then added: concatenating the groups first gives the same
    # sum, but a PLE's gradients through the concatenation changed in their last
    # bits from call to call, so the same seed did not give the same model.
    sizes = [len(group_names) for group_names, _ in groups]
    starts = list(itertools.accumulate(sizes))[:-1]
    per_expert = keras.ops.expand_dims(keras.ops.transpose(weights), -1)  # [K, batch, 1]
    per_group = keras.ops.split(per_expert, starts, axis=0) if starts else [per_expert]
    # sum over k of g_k [batch, 1] * e_k [batch, d]: cheaper than an einsum here
    return functools.reduce(operator.add, [keras.ops.sum(g * out, axis=0)
                                           for g, (_, out) in zip(per_group, groups)])


def task_towers(task_inputs: dict, tower_units, task_type: str = "binary") -> dict:
    """One tower and output per task: y_t = f_t(h_t). Outputs are keyed by task
    name, so labels are matched to outputs by name and never by position."""
    activation = "sigmoid" if task_type == "binary" else None
    return {task: keras.layers.Dense(1, activation=activation, name=task)(
                mlp(tower_units, name=f"tower_{task}")(h))
            for task, h in task_inputs.items()}
