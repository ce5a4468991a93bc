def unreachable_experts(model, task, features):
    found = []
    for layer in model.layers:
        if not isinstance(layer, Experts):
            continue
        with tf.GradientTape() as tape:
            prediction = model(features, training=False)[task]
        if all(g is None for g in tape.gradient(prediction, layer.trainable_weights)):
            found.append(layer.name)
    return sorted(found)
