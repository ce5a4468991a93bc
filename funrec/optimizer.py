"""Adam as one fused TensorFlow op per variable, with its state a dict a traced step takes.

It lives apart from :mod:`funrec.training` because the loss-balancing methods
(:mod:`funrec.balance`), which the training step calls, train their own few
parameters with it too.
"""

from __future__ import annotations

from ._tensorflow import tf


class Adam:
    """Adam (Kingma and Ba, 2015) with Keras's defaults, one fused op per variable.

        m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,
        w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)

    Its state (the moments, the step count t and the hyperparameters) is a dict of
    variables and tensors, which a traced step takes as an argument.
    """

    def __init__(self, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self.state = None

    def build(self, variables) -> None:
        """Make the state for ``variables`` (call eagerly, inside the strategy's scope if any)."""
        variables = [getattr(v, "value", v) for v in variables]  # Keras -> TF variable
        zeros = lambda v: tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)  # noqa: E731
        self.state = dict(
            variables=variables, m=[zeros(v) for v in variables],
            v=[zeros(v) for v in variables],
            iterations=tf.Variable(0, dtype=tf.int64, trainable=False,
                                   aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA),
            **{name: tf.constant(getattr(self, name), tf.float32)
               for name in ("learning_rate", "beta_1", "beta_2", "epsilon")})

    @staticmethod
    def apply(state: dict, grads) -> None:
        """One Adam update of ``state["variables"]`` with ``grads``."""
        grads = [tf.convert_to_tensor(g) for g in grads]
        state["iterations"].assign_add(1)
        t = tf.cast(state["iterations"], tf.float32)
        b1_power, b2_power = state["beta_1"] ** t, state["beta_2"] ** t
        for variable, grad, m, v in zip(state["variables"], grads, state["m"], state["v"]):
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle, m=m.handle, v=v.handle, beta1_power=b1_power,
                beta2_power=b2_power, lr=state["learning_rate"], beta1=state["beta_1"],
                beta2=state["beta_2"], epsilon=state["epsilon"], grad=grad)
