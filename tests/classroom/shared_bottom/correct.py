def inverse_rate_weights(labels):
    positives = {task: int(np.sum(values)) for task, values in labels.items()}
    empty = [task for task, count in positives.items() if count == 0]
    if empty:
        raise ValueError(f"no positive labels for {', '.join(empty)}")
    rates = {task: positives[task] / len(labels[task]) for task in labels}
    most = max(rates.values())
    return {task: most / rate for task, rate in rates.items()}
# %%
weights = inverse_rate_weights(log.labels)
weighted = run_experiment("shared_bottom", dataset=log, loss_weights=weights, epochs=1,
                          show=False)
