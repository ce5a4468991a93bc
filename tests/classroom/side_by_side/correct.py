def paired_gain(multi_tables, single_tables, task, confidence=0.95):
    if len(multi_tables) != len(single_tables) or len(multi_tables) < 2:
        raise ValueError("pass one multi-task and one single-task table per seed, "
                         "for two seeds or more")
    column = f"auc_{task}"
    multi_aucs = np.array([table[column].iloc[0] for table in multi_tables])
    single_aucs = np.array([table[column].iloc[0] for table in single_tables])
    gains = 100 * (multi_aucs - single_aucs)
    low, high = stats.t.interval(confidence, len(gains) - 1, loc=gains.mean(),
                                 scale=stats.sem(gains))
    return {"mean": gains.mean(), "low": low, "high": high, "n": len(gains)}
