"""Exact Euclidean nearest neighbours, batched and chunked so memory stays bounded."""

from __future__ import annotations

import torch


def knn_distances(
    queries: torch.Tensor,
    reference: torch.Tensor | None = None,
    k: int = 1,
    chunk: int = 1024,
    exclude_self: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances and indices of the ``k`` nearest rows of ``reference`` for each row of ``queries``.

    Exact search: squared distances from ``|q|^2 + |r|^2 - 2 q.r`` in float64, one chunk of queries
    at a time, so peak memory is ``chunk x len(reference)``. With ``reference=None`` the queries are
    searched against themselves; ``exclude_self`` then drops each row's match with itself.
    Returns ``(distances, indices)``, each of shape (len(queries), k), nearest first.
    """
    self_search = reference is None
    q = queries.reshape(len(queries), -1).to(torch.float64)
    r = q if self_search else reference.reshape(len(reference), -1).to(torch.float64)
    if exclude_self and not self_search:
        raise ValueError("exclude_self needs reference=None")
    need = k + 1 if exclude_self else k
    if need > len(r):
        raise ValueError(f"k={k} neighbours requested from {len(r)} reference rows")
    r_sq = (r * r).sum(1)
    dists, idxs = [], []
    for start in range(0, len(q), chunk):
        qc = q[start : start + chunk]
        d2 = (qc * qc).sum(1, keepdim=True) + r_sq[None, :] - 2.0 * qc @ r.T
        if exclude_self:
            rows = torch.arange(len(qc))
            d2[rows, rows + start] = float("inf")
        val, idx = torch.topk(d2, k, dim=1, largest=False)
        dists.append(val.clamp_min_(0).sqrt_())
        idxs.append(idx)
    return torch.cat(dists), torch.cat(idxs)
