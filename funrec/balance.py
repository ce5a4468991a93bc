"""Balancing the tasks: how one training step turns the tasks' losses into one update.

Every method here is a short class the traced step of :mod:`funrec.training` calls.
With ``L_t`` task t's mean loss over the batch and ``T`` the number of tasks:

* ``equal`` and ``static``: ``L = sum_t w_t L_t`` with fixed weights (1 each, or
  ``loss_weights``), one gradient: the step exactly as it was before this module;
* ``uncertainty`` (Kendall, Gal and Cipolla, CVPR 2018): weights learned as
  homoscedastic noise, ``sum_t c_t exp(-s_t) L_t + s_t / 2``;
* ``gradnorm`` (Chen et al., ICML 2018): weights learned so that the tasks'
  gradient norms on the shared layers train at rates balanced by their progress;
* ``dwa`` (Liu, Johns and Davison, CVPR 2019): weights from the ratio of each
  task's last two epoch losses;
* ``pcgrad`` (Yu et al., NeurIPS 2020): each task's gradient on the shared
  parameters projected off the gradients it conflicts with;
* ``famo`` (Liu et al., NeurIPS 2023): weights that even out the tasks' log-loss
  decrease, at the cost of one more forward pass per step (not one backward pass per
  task, as GradNorm and PCGrad need).

How the weights enter the step: nothing a method learns or sets is a Python
constant of the traced step (which would trace it again each epoch); it is a
variable in the method's state (:meth:`Balance.make_state`), one per model trained,
passed to the step beside the optimizer's state. Only the fixed weights of
``equal`` and ``static`` are constants, as before, so their step is unchanged to
the bit. The weights a method used are summed over an epoch's steps inside the
step; the history records their mean per epoch (``weight_<task>``).
"""

from __future__ import annotations

import math

from ._tensorflow import keras, tf
from .optimizer import Adam


def weighted_sum(weights, losses):
    """``sum_t w_t L_t``, the loss every weighting method differentiates."""
    return keras.ops.sum([weights[t] * losses[t] for t in losses])


def task_gradients(tape, losses, variables) -> dict:
    """Each task's own gradient of every variable: None where its loss does not reach
    the variable (another task's tower or gate), so which variables are shared is
    read from the graph, for any architecture. Needs a persistent tape."""
    return {t: tape.gradient(loss, variables) for t, loss in losses.items()}


def shared(per_task: dict) -> list[bool]:
    """Per variable: whether two or more tasks' losses reach it."""
    reached = zip(*per_task.values())
    return [sum(g is not None for g in grads) > 1 for grads in reached]


def combined(per_task: dict, weights) -> list:
    """Per variable, ``sum_t w_t g_t`` over the tasks whose loss reaches it."""
    return [tf.add_n([weights[t] * tf.convert_to_tensor(g)
                      for t, g in zip(per_task, grads) if g is not None])
            for grads in zip(*per_task.values())]


def recorded_weights(weights) -> dict:
    """The weights as the step reports them, summed over an epoch's steps."""
    return {f"weight_{t}": tf.cast(w, tf.float32) for t, w in weights.items()}


class Balance:
    """``equal``: every task's loss weighs 1, one gradient of their sum.

    The base of every method: the hooks the training step calls, which each method
    overrides as it needs. ``per_task_gradients`` says whether the step needs one
    gradient per task (a persistent tape)."""

    name = "equal"
    per_task_gradients = False
    with_strategy = True  # only the fixed weights all-reduce one gradient per device

    def __init__(self, tasks, task_type: str = "binary", loss_weights=None):
        self.tasks, self.task_type = tuple(tasks), task_type
        self.fixed = {t: 1.0 for t in self.tasks} | dict(loss_weights or {})

    @property
    def key(self) -> tuple:
        """What the traced step depends on, to reuse it (funrec.training)."""
        return (self.name, tuple(self.fixed.items()))

    def make_state(self, seed: int, learning_rate: float) -> dict:
        """The method's variables for one model (called eagerly, before tracing)."""
        return {}

    def total(self, losses, state):
        """The loss to differentiate, computed under the step's tape."""
        return weighted_sum(self.fixed, losses)

    def gradients(self, tape, total, losses, variables, state):
        """The gradients to apply to ``variables`` and what to record of this step."""
        return tape.gradient(total, variables), {}

    def after_update(self, state, losses, losses_now) -> None:
        """Called once the model is updated; ``losses_now()`` recomputes the batch's losses."""

    def start_epoch(self, state, history: dict) -> None:
        """Called eagerly before each epoch with the model's history so far."""

    def recorded(self) -> tuple:
        """The names of what :meth:`gradients` records each step."""
        return ()

    def epoch_record(self, sums: dict, steps: int) -> dict:
        """An epoch's history entries: every task's weight (fixed here) and the means
        of what the steps recorded."""
        return ({f"weight_{t}": w for t, w in self.fixed.items()}
                | {k: float(v) / steps for k, v in sums.items()})


class Static(Balance):
    """``static``: fixed weights ``w_t`` from ``loss_weights`` (1 for a task not named),
    ``L = sum_t w_t L_t``; the weights choose one point on the tasks' trade-off."""

    name = "static"


class Learned(Balance):
    """A method whose weights change during training: they reach the step as tensors
    and are recorded every step (``weight_<task>``, the epoch's mean)."""

    with_strategy = False

    @property
    def key(self) -> tuple:
        # the hyperparameters (alpha, tau, ...) and the tasks; fixed weights play no part
        return (self.name, *sorted((k, v) for k, v in vars(self).items() if k != "fixed"))

    def recorded(self) -> tuple:
        return tuple(f"weight_{t}" for t in self.tasks)

    def epoch_record(self, sums: dict, steps: int) -> dict:
        return {k: float(v) / steps for k, v in sums.items()}

    def weights(self, losses, state) -> dict:
        raise NotImplementedError

    def total(self, losses, state):
        # The weights are constants of the gradient: only the model learns from it.
        return weighted_sum({t: tf.stop_gradient(w) for t, w in
                             self.weights(losses, state).items()}, losses)

    def gradients(self, tape, total, losses, variables, state):
        return tape.gradient(total, variables), recorded_weights(self.weights(losses, state))


def learnable(values, learning_rate: float) -> dict:
    """A vector of a method's own parameters and the Adam state that trains it."""
    optimizer = Adam(learning_rate)
    optimizer.build([keras.Variable(values, dtype="float32", trainable=True)])
    return dict(value=optimizer.state["variables"][0], optimizer=optimizer.state)


class Uncertainty(Learned):
    """``uncertainty`` (Kendall, Gal and Cipolla, CVPR 2018): each task's loss is a
    likelihood with a learned noise ``sigma_t``, ``s_t = log sigma_t^2``:

        L = sum_t c_t exp(-s_t) L_t + s_t / 2,   weight w_t = c_t exp(-s_t)

    For a regression task (squared error) the Gaussian likelihood gives
    ``1/(2 sigma^2) L + log sigma``, so ``c_t = 1/2``; for a click-style task the
    paper's approximation of a tempered softmax (its eq. 10) gives
    ``1/sigma^2 L + log sigma``, so ``c_t = 1``. The ``1/2`` on ``s_t`` is
    ``log sigma = s/2``. For fixed losses the minimum is at
    ``s_t* = log(2 c_t L_t)``, a weight of ``1 / (2 L_t)``: a task with a small
    loss weighs more. ``s`` starts at 0 (a click task's weight 1, as ``equal``) and
    is trained by Adam at the model's learning rate, as the paper trains it with the
    network."""

    name = "uncertainty"

    def scale(self) -> float:
        return 1.0 if self.task_type == "binary" else 0.5

    def optimum(self, losses) -> dict:
        """``s_t*`` for fixed losses (the closed form above)."""
        return {t: math.log(2 * self.scale() * loss) for t, loss in losses.items()}

    def make_state(self, seed, learning_rate):
        return learnable([0.0] * len(self.tasks), learning_rate)

    def weights(self, losses, state):
        return {t: self.scale() * tf.exp(-state["value"][i]) for i, t in enumerate(self.tasks)}

    def total(self, losses, state):
        # The weights are not held constant here: s_t learns from this very loss.
        return (weighted_sum(self.weights(losses, state), losses)
                + 0.5 * tf.reduce_sum(state["value"]))

    def gradients(self, tape, total, losses, variables, state):
        *grads, noise_grad = tape.gradient(total, [*variables, state["value"]])
        record = recorded_weights(self.weights(losses, state))  # before s_t's own step
        Adam.apply(state["optimizer"], [noise_grad])
        return grads, record


def gradnorm_targets(norms, weights, losses, initial_losses, alpha: float):
    """GradNorm's target norm of each task, ``mean_i(w_i G_i) * r_t^alpha``, with
    ``G_t`` the norm of task t's unweighted gradient and ``r_t`` its inverse training
    rate ``(L_t / L_t(0)) / mean_i(L_i / L_i(0))``."""
    ratios = losses / initial_losses
    rates = ratios / tf.reduce_mean(ratios)
    return tf.reduce_mean(weights * norms) * rates ** alpha


class GradNorm(Learned):
    """``gradnorm`` (Chen et al., ICML 2018), with ``G_t = w_t ||grad_W L_t||``:

        L_grad = sum_t | G_t - mean_i(G_i) r_t^alpha |,
        r_t = (L_t / L_t(0)) / mean_i(L_i / L_i(0))

    with the targets held constant, so ``dL_grad/dw_t = sign(G_t - target_t)
    ||grad_W L_t||``: a task that trains slower than the others (larger ``r_t``)
    gets a larger weight. The weights take an Adam step at the model's learning rate
    (the paper trains them with the network's optimizer), are kept above 1e-3 (a
    negative weight would make its task's loss grow) and renormalised to sum to
    ``T``; the model's gradient is ``sum_t w_t grad L_t`` with the weights before
    their step. ``alpha = 1.5``, the paper's default.

    ``W``, whose gradient norms are balanced: every shared dense variable (reached
    by two or more tasks' losses; the embedding tables left out, whose gradients
    are sparse and scale with how often each id shows up in the batch). The paper
    uses the last shared layer, which is one layer in a Shared-Bottom but a set of
    experts in MMoE, CGC and PLE (and in PLE lower levels' task experts are shared
    as well); reading sharing from the graph works the same for every architecture.
    The cost is one backward pass per task."""

    name = "gradnorm"
    per_task_gradients = True

    def __init__(self, tasks, task_type="binary", loss_weights=None, alpha: float = 1.5):
        super().__init__(tasks, task_type, loss_weights)
        self.alpha = alpha

    def make_state(self, seed, learning_rate):
        return dict(learnable([1.0] * len(self.tasks), learning_rate),
                    initial_losses=tf.Variable(tf.ones([len(self.tasks)])))

    def weights(self, losses, state):
        return dict(zip(self.tasks, tf.unstack(state["value"])))

    def gradients(self, tape, total, losses, variables, state):
        per_task = task_gradients(tape, losses, variables)
        weights = self.weights(losses, state)
        grads = combined(per_task, weights)
        dense_shared = [s and not isinstance(g, tf.IndexedSlices)
                        for s, g in zip(shared(per_task), next(iter(per_task.values())))]
        norms = tf.stack([tf.linalg.global_norm(
            [g for g, use in zip(per_task[t], dense_shared) if use]) for t in self.tasks])
        loss_vector = tf.stack([losses[t] for t in self.tasks])
        first = tf.equal(state["optimizer"]["iterations"], 0)
        state["initial_losses"].assign(tf.where(first, loss_vector, state["initial_losses"]))
        targets = gradnorm_targets(norms, state["value"], loss_vector,
                                   state["initial_losses"], self.alpha)
        weight_grad = tf.sign(state["value"] * norms - tf.stop_gradient(targets)) * norms
        record = recorded_weights(weights)  # read before the weights' own step
        Adam.apply(state["optimizer"], [weight_grad])
        kept = tf.maximum(state["value"], 1e-3)
        state["value"].assign(len(self.tasks) * kept / tf.reduce_sum(kept))
        return grads, record


def dwa_weights(previous, before_previous, temperature: float = 2.0) -> list[float]:
    """DWA's weights from two epochs' mean losses per task (lists in task order)."""
    rates = [a / b for a, b in zip(previous, before_previous)]
    exps = [math.exp(r / temperature) for r in rates]
    return [len(exps) * e / sum(exps) for e in exps]


class DWA(Learned):
    """``dwa``, dynamic weight average (Liu, Johns and Davison, CVPR 2019):

        w_t(e) = T exp(r_t(e-1) / tau) / sum_i exp(r_i(e-1) / tau),
        r_t(e-1) = L_t(e-1) / L_t(e-2)

    with ``L_t(e)`` task t's mean training loss over epoch e (the history's
    ``<task>_loss``) and ``tau = 2``; 1 each for the first two epochs. A task whose
    loss fell least gets the largest weight. The weights change once an epoch: they
    are a variable the step reads, set before each epoch."""

    name = "dwa"

    def __init__(self, tasks, task_type="binary", loss_weights=None, temperature: float = 2.0):
        super().__init__(tasks, task_type, loss_weights)
        self.temperature = temperature

    def make_state(self, seed, learning_rate):
        return dict(value=tf.Variable(tf.ones([len(self.tasks)])))

    def start_epoch(self, state, history):
        losses = [history[f"{t}_loss"] for t in self.tasks]
        if len(losses[0]) >= 2:
            state["value"].assign(dwa_weights([x[-1] for x in losses], [x[-2] for x in losses],
                                              self.temperature))

    def weights(self, losses, state):
        return dict(zip(self.tasks, tf.unstack(state["value"])))


def project_conflicts(gradients, order):
    """PCGrad's surgery on a [T, P] matrix of the tasks' gradients: each task's gradient
    in turn loses its component along every other task's gradient it conflicts with
    (a negative dot product), the others taken in ``order``. Returns the projected
    gradients and whether any projection happened."""
    projected, conflicted = gradients, tf.constant(False)
    for k in range(gradients.shape[0]):
        other = tf.gather(gradients, order[k])
        dots = tf.linalg.matvec(projected, other)
        conflicts = (dots < 0) & (tf.range(gradients.shape[0]) != order[k])  # not itself
        scale = tf.where(conflicts, dots / (tf.reduce_sum(other * other) + 1e-20), 0.0)
        projected = projected - scale[:, None] * other[None, :]
        conflicted = conflicted | tf.reduce_any(conflicts)
    return projected, conflicted


class PCGrad(Learned):
    """``pcgrad``, gradient surgery (Yu et al., NeurIPS 2020). With ``g_t`` task t's
    gradient on the shared parameters, for each task, over the other tasks j in a
    random order:

        if g_t . g_j < 0:   g_t <- g_t - (g_t . g_j) / ||g_j||^2  g_j

    and the update is ``sum_t g_t``. The shared parameters are every variable two or
    more tasks' losses reach, the embeddings included (as the paper's "shared
    parameters"); a task's own tower and gate get its own gradient. The order is
    drawn anew each step from the model's seed and the step's count (a stateless
    draw), so a run is repeatable. Every weight is 1 (recorded as such);
    ``projected_share`` is the share of an epoch's steps in which a projection
    happened. The cost is one backward pass per task."""

    name = "pcgrad"
    per_task_gradients = True

    def make_state(self, seed, learning_rate):
        return dict(seed=tf.constant(seed, tf.int64),
                    steps=tf.Variable(tf.constant(0, tf.int64)))

    def recorded(self):
        return (*super().recorded(), "projected_share")

    def weights(self, losses, state):
        return {t: 1.0 for t in self.tasks}

    def gradients(self, tape, total, losses, variables, state):
        per_task = task_gradients(tape, losses, variables)
        is_shared = shared(per_task)
        shapes = [v.shape for v, s in zip(variables, is_shared) if s]
        flat = tf.stack([tf.concat([tf.reshape(tf.convert_to_tensor(g), [-1])
                                    for g, s in zip(per_task[t], is_shared) if s], 0)
                         for t in self.tasks])
        draw = tf.random.stateless_uniform([len(self.tasks)],
                                           seed=tf.stack([state["seed"], state["steps"]]))
        state["steps"].assign_add(1)
        projected, conflicted = project_conflicts(flat, tf.argsort(draw))
        sizes = [math.prod(shape) for shape in shapes]
        for t, row in zip(self.tasks, tf.unstack(projected)):  # shared gradients, projected
            pieces = iter(tf.split(row, sizes))
            per_task[t] = [tf.reshape(next(pieces), v.shape) if s else g
                           for v, g, s in zip(variables, per_task[t], is_shared)]
        record = recorded_weights(self.weights(losses, state))
        record["projected_share"] = tf.cast(conflicted, tf.float32)
        return combined(per_task, self.weights(losses, state)), record


def famo_logit_gradient(logits, loss_drop, decay: float):
    """The gradient FAMO's logits descend: ``J^T delta + gamma xi`` with ``J`` the
    Jacobian of ``z = softmax(xi)``, i.e. ``z_t (delta_t - z . delta) + gamma xi_t``."""
    z = tf.nn.softmax(logits)
    return z * (loss_drop - tf.reduce_sum(z * loss_drop)) + decay * logits


class FAMO(Learned):
    """``famo``, Fast Adaptive Multitask Optimization (Liu et al., NeurIPS 2023).
    Chosen as the recent method for its cost: one more forward pass a step, where
    GradNorm and PCGrad need one backward pass per task (and Nash-MTL a small
    optimisation over the tasks' gradients too). With logits ``xi`` (0 at the
    start), ``z = softmax(xi)`` and ``c = 1 / sum_i (z_i / L_i)``, the model descends

        sum_t c z_t log L_t,   whose gradient is  sum_t (c z_t / L_t) grad L_t

    (every task's log loss falls at a rate set by ``z``). After the model's step the
    batch's losses ``L'_t`` are computed again, and with ``delta_t = log L_t - log
    L'_t`` (how much each log loss fell) the logits take an Adam step (learning rate
    ``beta = 0.025``) on ``J^T delta + gamma xi`` (``gamma = 0.01``, the decay): the
    tasks that fell least gain weight. Both values are the defaults of the authors'
    code; their clipping of the model's gradient norm is left out, as no other method
    here clips. The losses' lower bounds are 0 (cross-entropy and squared error).

    The weights recorded, and applied, are ``T c z_t / L_t``: scaled by ``T`` to
    sum to ``T`` like every other method's (Adam's steps do not depend on the
    loss's scale, up to its epsilon)."""

    name = "famo"

    def __init__(self, tasks, task_type="binary", loss_weights=None,
                 logit_learning_rate: float = 0.025, decay: float = 0.01):
        super().__init__(tasks, task_type, loss_weights)
        self.logit_learning_rate, self.decay = logit_learning_rate, decay

    def make_state(self, seed, learning_rate):
        return learnable([0.0] * len(self.tasks), self.logit_learning_rate)

    def weights(self, losses, state):
        z = tf.nn.softmax(state["value"])
        loss_vector = tf.stack([losses[t] for t in self.tasks]) + 1e-8
        scaled = len(self.tasks) * (z / loss_vector) / tf.reduce_sum(z / loss_vector)
        return dict(zip(self.tasks, tf.unstack(scaled)))

    def after_update(self, state, losses, losses_now):
        now = losses_now()
        drop = tf.stack([tf.math.log(losses[t] + 1e-8) - tf.math.log(now[t] + 1e-8)
                         for t in self.tasks])
        Adam.apply(state["optimizer"],
                   [famo_logit_gradient(state["value"], tf.stop_gradient(drop), self.decay)])


METHODS = {cls.name: cls for cls in (Balance, Static, Uncertainty, GradNorm, DWA, PCGrad, FAMO)}


def make_balance(name: str, tasks, task_type: str = "binary", loss_weights=None) -> Balance:
    """The method ``name`` (one of :data:`METHODS`) for ``tasks``."""
    if name not in METHODS:
        raise ValueError(f"unknown balancing method {name!r}; choose one of "
                         f"{', '.join(METHODS)}.")
    return METHODS[name](tasks, task_type, loss_weights)
