"""Vector helpers every workspace shares: the one L2 normalisation every cosine goes through,
groups of close items (connected components of their pairs), and the members of each label."""

from __future__ import annotations

import numpy as np

EPS = 1e-12  # a zero vector stays zero instead of becoming NaN


def unit(x, dtype=None) -> np.ndarray:
    """``x`` scaled to length 1 along its last axis (one vector, or one per row); a zero vector
    stays zero. ``dtype`` converts first (e.g. ``np.float32``); otherwise ``x``'s own dtype."""
    x = np.asarray(x, dtype) if dtype is not None else np.asarray(x)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


def components(n: int, rows, cols) -> np.ndarray:
    """The connected component of each of ``n`` nodes joined by the edges ``rows[k]``–``cols[k]``
    (single linkage: a chain of close pairs is one group), numbered in the order of each
    component's first node. SciPy's ``connected_components`` on a sparse graph."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def members_by_label(labels, mask, k: int) -> list[np.ndarray]:
    """For each label 0..k-1, the positions (ascending) where ``labels`` has it and ``mask`` is
    true (None: everywhere): one sort, not a scan of every item per label (O(n log n), not
    n x labels: events, time segments and cells number in the thousands at a million photos)."""
    labels = np.asarray(labels)
    keep = labels >= 0 if mask is None else np.asarray(mask) & (labels >= 0)
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(labels[rows], kind="stable")]
    cuts = np.searchsorted(labels[rows], np.arange(1, k))
    return np.split(rows, cuts) if k else []
