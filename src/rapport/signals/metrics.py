"""How well a score separates two groups, and how fast it notices."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half).

    Computed by ranks (Mann-Whitney U), O(n log n).
    """
    if not positives or not negatives:
        return float("nan")
    labelled = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(labelled):
        j = i
        while j < len(labelled) and labelled[j][0] == labelled[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2.0  # ranks are 1-based
        rank_sum += average_rank * sum(label for _, label in labelled[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def median_or_nan(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
