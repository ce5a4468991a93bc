def unreachable_experts(model, task, features):
    # Guessed from the names: every other task's experts, at every level.
    return sorted(layer.name for layer in model.layers if isinstance(layer, Experts)
                  and not layer.name.endswith(("_shared", f"_{task}")))
