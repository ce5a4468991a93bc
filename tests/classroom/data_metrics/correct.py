def gauc_by_hand(labels, scores, users, weighted=True):
    labels, scores, users = np.asarray(labels), np.asarray(scores), np.asarray(users)
    total = weight_sum = 0.0
    counted = 0
    for user in np.unique(users):
        mine = users == user
        positives = scores[mine & (labels == 1)]
        negatives = scores[mine & (labels == 0)]
        if len(positives) == 0 or len(negatives) == 0:
            continue
        right = (positives[:, None] > negatives[None, :]).sum()
        ties = (positives[:, None] == negatives[None, :]).sum()
        auc = (right + 0.5 * ties) / (len(positives) * len(negatives))
        weight = mine.sum() if weighted else 1
        total, weight_sum, counted = total + weight * auc, weight_sum + weight, counted + 1
    return (total / weight_sum if counted else float("nan")), counted
