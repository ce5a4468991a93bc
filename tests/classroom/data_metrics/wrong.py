def gauc_by_hand(labels, scores, users, weighted=True):
    labels, scores, users = np.asarray(labels), np.asarray(scores), np.asarray(users)
    total = weight_sum = 0.0
    counted = 0
    for user in np.unique(users):
        mine = users == user
        positives = scores[mine & (labels == 1)]
        negatives = scores[mine & (labels == 0)]
        if len(positives) and len(negatives):
            auc = (positives[:, None] > negatives[None, :]).mean()  # a tie counted as wrong
            weight = mine.sum() if weighted else 1
            total, weight_sum, counted = total + weight * auc, weight_sum + weight, counted + 1
    return total / weight_sum, counted
