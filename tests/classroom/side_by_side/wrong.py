def paired_gain(multi_tables, single_tables, task, confidence=0.95):
    column = f"auc_{task}"
    gains = np.array([100 * (m[column].iloc[0] - s[column].iloc[0])
                      for m, s in zip(multi_tables, single_tables)])
    half = 1.96 * gains.std(ddof=1) / np.sqrt(len(gains))  # the normal quantile, too narrow
    return dict(mean=gains.mean(), low=gains.mean() - half, high=gains.mean() + half,
                n=len(gains))
