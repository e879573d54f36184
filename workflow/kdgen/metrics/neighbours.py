"""Exact Euclidean nearest neighbours, batched and chunked so memory stays bounded."""

from __future__ import annotations

import torch


def knn_distances(
    queries: torch.Tensor,
    reference: torch.Tensor | None = None,
    k: int = 1,
    chunk: int = 1024,
    exclude_self: bool = False,
    reference_chunk: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances and indices of the ``k`` nearest rows of ``reference`` for each row of ``queries``.

    Exact search: squared distances ``|q|^2 + |r|^2 - 2 q.r`` in float64, for one block of ``chunk``
    queries against one block of ``reference_chunk`` reference rows at a time, keeping a running
    top-k; the inputs stay in their own dtype (uint8 images stay uint8), so peak memory is a few
    blocks, whatever the sizes. With ``reference=None`` the queries are searched against themselves;
    ``exclude_self`` then drops each row's match with itself.
    Returns ``(distances, indices)``, each of shape (len(queries), k), nearest first.
    """
    self_search = reference is None
    q = queries.reshape(len(queries), -1)
    r = q if self_search else reference.reshape(len(reference), -1)
    if exclude_self and not self_search:
        raise ValueError("exclude_self needs reference=None")
    if k + int(exclude_self) > len(r):
        raise ValueError(f"k={k} neighbours requested from {len(r)} reference rows")
    r_sq = torch.cat([r[s : s + reference_chunk].to(torch.float64).pow(2).sum(1) for s in range(0, len(r), reference_chunk)])
    dists, idxs = [], []
    for start in range(0, len(q), chunk):
        qc = q[start : start + chunk].to(torch.float64)
        q_sq = qc.pow(2).sum(1, keepdim=True)
        best_d = torch.empty(len(qc), 0, dtype=torch.float64)
        best_i = torch.empty(len(qc), 0, dtype=torch.long)
        for rs in range(0, len(r), reference_chunk):
            rc = r[rs : rs + reference_chunk].to(torch.float64)
            d2 = q_sq + r_sq[None, rs : rs + len(rc)] - 2.0 * qc @ rc.T
            if exclude_self:
                rows = torch.arange(len(qc))
                cols = rows + start - rs
                keep = (cols >= 0) & (cols < len(rc))
                d2[rows[keep], cols[keep]] = float("inf")
            cand_d = torch.cat([best_d, d2], 1)
            cand_i = torch.cat([best_i, torch.arange(rs, rs + len(rc)).expand(len(qc), -1)], 1)
            best_d, pos = torch.topk(cand_d, min(k, cand_d.shape[1]), dim=1, largest=False)
            best_i = torch.gather(cand_i, 1, pos)
        dists.append(best_d.clamp_min_(0).sqrt_())
        idxs.append(best_i)
    return torch.cat(dists), torch.cat(idxs)
