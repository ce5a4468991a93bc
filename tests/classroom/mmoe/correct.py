class TemperatureGate(ExpertGate):
    temperature = 2.0

    def call(self, x):
        features = x if self.hidden is None else self.hidden(x)
        scores = self.logits(features) / self.temperature
        return keras.ops.exp(scores - keras.ops.logsumexp(scores, axis=-1, keepdims=True))
# %%
tempered = funrec.BUILDERS["mmoe"](columns, small.tasks, gate=TemperatureGate)
