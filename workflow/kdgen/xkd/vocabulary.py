"""The WordNet vocabulary of the xkd crossmodal teacher: candidate nouns, image clusters, selection.

Two vocabulary modes, as the xkd spec defines them:

``tac`` (image-driven, class-agnostic; Li et al., ICML 2024, "TAC"):
  1. every WordNet noun lemma is a candidate (:func:`candidate_nouns`; narrower pools: the hyponym
     closure of a root synset, or the WordNet neighbourhood of the class synsets);
  2. the training images' normalised CLIP image embeddings are clustered with spherical k-means
     (:func:`spherical_kmeans`; published: 150 clusters for every dataset);
  3. per noun, the softmax over clusters of ``centres . noun / temperature``; each noun goes to its
     argmax cluster and the top 5 nouns per cluster by that probability are kept (:func:`tac_select`;
     published: ~690 nouns for CIFAR-100). The union is the vocabulary N (:func:`selected_indices`).

``wordnet_tree`` (per class, from the repository's README): each class synset's own lemmas (synonyms),
its direct hypernyms' lemmas and its hyponyms down to a depth (:func:`wordnet_tree_select`).

A lemma's text is its WordNet name with underscores as spaces. Texts are deduplicated case-insensitively
(keeping the first): CLIP's tokenizer lower-cases its input, so "Mercury" and "mercury" embed the same.
Measured on WordNet 3.0: 117,798 distinct noun lemma texts; the hyponym closure of ``shape.n.02``
(instance hyponyms included) holds 798.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

#: Relation names of :func:`wordnet_tree_select`, in the order its rows come.
TREE_RELATIONS: tuple[str, ...] = ("synonym", "hypernym", "hyponym")

_UNIT_TOLERANCE = 1e-3


class VocabularyError(ValueError):
    """A vocabulary setting or input that cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class Candidate:
    """One candidate noun: its text (underscores as spaces) and the WordNet synset it came from."""

    text: str
    synset: str


@dataclass(frozen=True)
class KMeansResult:
    """Spherical k-means: unit ``centres`` (k, D), ``assign`` (N,) int64, and the fit.

    ``inertia`` is the spherical k-means objective, the sum over points of ``1 - cos(x, centre)``;
    ``mean_cosine`` is the mean cosine of each point with its centre; ``iterations`` the Lloyd steps run.
    """

    centres: torch.Tensor
    assign: torch.Tensor
    inertia: float
    mean_cosine: float
    iterations: int


# --------------------------------------------------------------------------------------------------
# WordNet candidates


def _noun_synset(wn: Any, name: str, key: str, what: str = "") -> Any:
    """The noun synset called ``name``, or a VocabularyError naming the config ``key``."""
    from nltk.corpus.reader.wordnet import WordNetError

    hint = "expected a noun synset name such as 'shape.n.02' (see nltk wn.synsets(...))"
    try:
        synset = wn.synset(name)
    except (WordNetError, ValueError, LookupError, AttributeError) as err:
        raise VocabularyError(f"{key} = {name!r}{what}: WordNet has no such synset; {hint}") from err
    if synset.pos() != "n":
        raise VocabularyError(f"{key} = {name!r}{what}: {synset.name()} is not a noun synset; {hint}")
    return synset


def _is_whole(value: Any, minimum: int) -> bool:
    """``value`` is an integer (Python or NumPy, not a bool) of at least ``minimum``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


def _check_cap(cap: int | None) -> None:
    if cap is not None and not _is_whole(cap, 1):
        raise VocabularyError(
            f"xkd.vocabulary.cap = {cap!r}: expected a whole number >= 1 (the most candidate nouns to keep), "
            "or null for no cap"
        )


def _text(lemma_name: str) -> str:
    return lemma_name.replace("_", " ")


def _hyponyms(synset: Any) -> list[Any]:
    return sorted(synset.hyponyms() + synset.instance_hyponyms(), key=_name)


def _hypernyms(synset: Any) -> list[Any]:
    return sorted(synset.hypernyms() + synset.instance_hypernyms(), key=_name)


def _neighbours(synset: Any) -> list[Any]:
    return _hypernyms(synset) + _hyponyms(synset)


def _name(synset: Any) -> str:
    return synset.name()


def _collect(synsets: Iterable[Any], cap: int | None) -> list[Candidate]:
    """The lemmas of ``synsets`` in order, deduplicated case-insensitively, stopping at ``cap``."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for synset in synsets:
        for lemma_name in synset.lemma_names():
            text = _text(lemma_name)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            out.append(Candidate(text, synset.name()))
            if cap is not None and len(out) >= cap:
                return out
    return out


def _breadth_first(starts: Sequence[Any], links: Callable[[Any], list[Any]]) -> Iterable[Any]:
    """Synsets in breadth-first order from all ``starts`` at once (a lazy generator: stops when dropped)."""
    seen = {s.name() for s in starts}
    frontier = list(starts)
    while frontier:
        yield from frontier
        following = []
        for synset in frontier:
            for other in links(synset):
                if other.name() not in seen:
                    seen.add(other.name())
                    following.append(other)
        frontier = following


def candidate_nouns(
    wn: Any, root: str | None = None, cap: int | None = None, near: list[str] | None = None
) -> list[Candidate]:
    """Candidate nouns from WordNet (``wn``: an NLTK WordNet corpus reader), in a deterministic order.

    - ``root`` and ``near`` both None: every noun lemma, synsets in WordNet's file order (117,798 texts);
    - ``root`` (a noun synset name): the lemmas of the root and its hyponym closure, instance hyponyms
      included, breadth-first from the root, so a ``cap`` keeps the nearest;
    - ``near`` (class synset names): the classes' WordNet neighbourhood, breadth-first over hypernym and
      hyponym links (instance links included) from all classes at once, until ``cap`` lemmas.

    Within a breadth-first level, a synset's hypernyms come before its hyponyms, each sorted by name.
    Lemma texts are deduplicated case-insensitively, keeping the first. ``cap`` (>= 1) bounds the count.
    """
    _check_cap(cap)
    if root is not None and near is not None:
        raise VocabularyError(
            f"root = {root!r} and near = {near!r}: expected at most one of them (xkd.vocabulary.candidates "
            "picks one: root, classes or all); pass the other as None"
        )
    if root is not None:
        start = _noun_synset(wn, root, "xkd.vocabulary.root")
        return _collect(_breadth_first([start], _hyponyms), cap)
    if near is not None:
        if isinstance(near, str) or len(near) == 0:
            raise VocabularyError(
                f"near = {near!r} (the class synsets, for xkd.vocabulary.candidates = classes): expected a "
                "non-empty list of class synset names such as ['triangle.n.01', 'circle.n.01']"
            )
        starts: list[Any] = []
        for i, name in enumerate(near):
            what = " (a class synset, for xkd.vocabulary.candidates = classes)"
            synset = _noun_synset(wn, name, f"near[{i}]", what)
            if synset not in starts:
                starts.append(synset)
        return _collect(_breadth_first(starts, _neighbours), cap)
    return _collect(wn.all_synsets("n"), cap)


def vocabulary_texts(candidates: Sequence[Candidate], indices: Sequence[int] | np.ndarray | torch.Tensor) -> list[str]:
    """The texts of ``candidates[i]`` for ``i`` in ``indices`` (e.g. :func:`selected_indices`), in that order."""
    idx = np.asarray(indices.cpu() if isinstance(indices, torch.Tensor) else indices, dtype=np.int64).reshape(-1)
    bad = idx[(idx < 0) | (idx >= len(candidates))]
    if bad.size:
        raise VocabularyError(
            f"vocabulary indices {bad[:5].tolist()}: out of range for {len(candidates)} candidate nouns; "
            "expected indices into the candidate list the noun embeddings were computed from"
        )
    return [candidates[i].text for i in idx.tolist()]


# --------------------------------------------------------------------------------------------------
# Spherical k-means and the TAC selection


def _check_unit_rows(x: torch.Tensor, name: str) -> None:
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise VocabularyError(f"{name} of shape {tuple(x.shape)}: expected a non-empty 2-D (rows, dim) tensor")
    if not torch.isfinite(x).all():
        raise VocabularyError(f"{name}: holds NaN or infinite values; expected finite embeddings")
    norms = torch.linalg.vector_norm(x.float(), dim=1)
    worst = (norms - 1).abs().max().item()
    if worst > _UNIT_TOLERANCE:
        raise VocabularyError(
            f"{name}: rows are not unit vectors (a norm is off by {worst:.3g}); expected L2-normalised rows: "
            "apply torch.nn.functional.normalize(x, dim=1) first"
        )


def _renormalise(x: torch.Tensor) -> torch.Tensor:
    return x / torch.linalg.vector_norm(x, dim=1, keepdim=True).clamp_min(1e-12)


def _plus_plus_init(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding by cosine distance: each next centre drawn with probability ~ 1 - max cos.

    For unit vectors the squared Euclidean distance is 2 (1 - cos), so this is k-means++'s D^2 rule.
    """
    n = x.shape[0]
    first = int(torch.randint(n, (1,), generator=generator).item())
    chosen = [first]
    best = x @ x[first]  # (N,) max cosine to the chosen centres
    for _ in range(1, k):
        weight = (1 - best).clamp_min(0).double().cpu()
        weight[chosen] = 0
        if weight.sum() <= 0:  # every remaining point coincides with a centre: take them in order
            weight = torch.ones(n, dtype=torch.float64)
            weight[chosen] = 0
        nxt = int(torch.multinomial(weight, 1, generator=generator).item())
        chosen.append(nxt)
        best = torch.maximum(best, x @ x[nxt])
    return x[chosen].clone()


def spherical_kmeans(x: torch.Tensor, k: int, iters: int = 50, seed: int = 0) -> KMeansResult:
    """Spherical k-means of unit rows ``x`` (N, D) into ``k`` clusters by cosine similarity.

    Seeded k-means++ initialisation (a ``torch.Generator`` from ``seed``), then Lloyd iterations: assign
    each point to the centre of highest cosine, move each centre to the normalised mean of its points,
    until the assignment stops changing or ``iters`` steps. A cluster left empty is re-seeded at the
    points farthest from their centres (lowest cosine first, ties by index), so the result is
    deterministic for a seed. Returns the final centres and the assignment to them. (With fewer distinct
    points than ``k``, duplicate centres can leave a cluster empty; CLIP embeddings of distinct images are
    distinct.)
    """
    _check_unit_rows(x, "x (the training images' CLIP embeddings)")
    n = x.shape[0]
    if not _is_whole(k, 1):
        raise VocabularyError(f"xkd.vocabulary.clusters = {k!r}: expected a whole number >= 1 (published: 150)")
    if k > n:
        raise VocabularyError(
            f"xkd.vocabulary.clusters = {k}: more clusters than the {n} training images; use at most {n}"
        )
    if not _is_whole(iters, 1):
        raise VocabularyError(f"xkd.vocabulary.iterations = {iters!r}: expected a whole number >= 1 (default 50)")
    x = x if x.dtype in (torch.float32, torch.float64) else x.float()
    generator = torch.Generator().manual_seed(int(seed))
    centres = _plus_plus_init(x, k, generator)
    assign = torch.full((n,), -1, dtype=torch.int64, device=x.device)
    steps = 0
    while steps < iters:
        steps += 1
        sim, new_assign = (x @ centres.T).max(dim=1)
        counts = torch.bincount(new_assign, minlength=k)
        if torch.equal(new_assign, assign) and bool((counts > 0).all()):
            break
        assign = new_assign
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        centres = torch.where((counts > 0)[:, None], _renormalise(sums), centres)
        empty = torch.nonzero(counts == 0).flatten()
        if empty.numel():
            farthest = torch.argsort(sim, stable=True)[: empty.numel()]
            centres[empty] = x[farthest]
    sim, assign = (x @ centres.T).max(dim=1)
    return KMeansResult(
        centres=centres,
        assign=assign,
        inertia=float((1 - sim).sum().item()),
        mean_cosine=float(sim.mean().item()),
        iterations=steps,
    )


def tac_select(centres: torch.Tensor, nouns: torch.Tensor, per_cluster: int, temperature: float) -> pd.DataFrame:
    """TAC's noun selection: each noun to its most probable cluster, the top ``per_cluster`` kept per cluster.

    Per noun j, ``p_j = softmax_over_clusters(centres . noun_j / temperature)`` (computed in float64);
    the noun is assigned to ``argmax p_j`` with probability ``max p_j``. Each cluster keeps its
    ``per_cluster`` assigned nouns of highest probability (ties: lower noun index first); a cluster with
    fewer keeps them all, one with none is absent. Rows come by cluster, then rank (0 = most probable).
    Columns: ``cluster``, ``rank``, ``noun`` (row index into ``nouns``), ``probability``.
    """
    _check_unit_rows(centres, "centres (the k-means cluster centres)")
    _check_unit_rows(nouns, "nouns (the candidate nouns' text embeddings)")
    if centres.shape[1] != nouns.shape[1]:
        raise VocabularyError(
            f"centres of dim {centres.shape[1]} and nouns of dim {nouns.shape[1]}: expected one embedding "
            "space; embed images and nouns with the same CLIP model"
        )
    if not _is_whole(per_cluster, 1):
        raise VocabularyError(
            f"xkd.vocabulary.per_cluster = {per_cluster!r}: expected a whole number >= 1 (published: 5)"
        )
    if not isinstance(temperature, numbers.Real) or not np.isfinite(temperature) or temperature <= 0:
        raise VocabularyError(f"xkd.vocabulary.temperature = {temperature!r}: expected a finite number > 0")
    logits = (nouns.double() @ centres.double().to(nouns.device).T) / float(temperature)
    probability, cluster = torch.softmax(logits, dim=1).max(dim=1)
    # order by cluster, then probability descending, then noun index (stable sorts, innermost key first)
    by_prob = torch.argsort(-probability, stable=True)
    order = by_prob[torch.argsort(cluster[by_prob], stable=True)]
    sorted_cluster = cluster[order]
    counts = torch.bincount(sorted_cluster, minlength=centres.shape[0])
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(order.numel(), device=order.device) - starts[sorted_cluster]
    keep = rank < per_cluster
    return pd.DataFrame(
        {
            "cluster": sorted_cluster[keep].cpu().numpy().astype(np.int64),
            "rank": rank[keep].cpu().numpy().astype(np.int64),
            "noun": order[keep].cpu().numpy().astype(np.int64),
            "probability": probability[order[keep]].cpu().numpy(),
        }
    )


def selected_indices(table: pd.DataFrame) -> np.ndarray:
    """The vocabulary N of a :func:`tac_select` table: its noun indices, sorted and unique (int64)."""
    if "noun" not in table.columns:
        raise VocabularyError(
            f"table with columns {list(table.columns)}: expected a 'noun' column (the output of tac_select)"
        )
    return np.unique(table["noun"].to_numpy(dtype=np.int64))


# --------------------------------------------------------------------------------------------------
# The per-class WordNet tree


def wordnet_tree_select(wn: Any, class_synsets: list[str], hyponym_depth: int = 1) -> pd.DataFrame:
    """Per class synset: its own lemmas, its direct hypernyms' lemmas and its hyponyms' down to a depth.

    Rows per class in the order synonym, hypernym (direct hypernyms, instance hypernyms included, sorted
    by name), hyponym (breadth-first to ``hyponym_depth`` levels, instance hyponyms included, sorted by
    name within a parent); texts deduplicated case-insensitively per class, keeping the first.
    Columns: ``class_synset``, ``relation`` (synonym | hypernym | hyponym), ``text``, ``synset``.
    """
    if isinstance(class_synsets, str) or len(class_synsets) == 0:
        raise VocabularyError(
            f"class_synsets = {class_synsets!r} (for xkd.vocabulary.mode = wordnet_tree): expected a "
            "non-empty list of class synset names such as ['triangle.n.01', 'circle.n.01']"
        )
    if not _is_whole(hyponym_depth, 0):
        raise VocabularyError(
            f"xkd.vocabulary.hyponym_depth = {hyponym_depth!r}: expected a whole number >= 0 (0: no hyponyms)"
        )
    rows: list[tuple[str, str, str, str]] = []
    for i, name in enumerate(class_synsets):
        what = " (a class synset, for xkd.vocabulary.mode = wordnet_tree)"
        synset = _noun_synset(wn, name, f"class_synsets[{i}]", what)
        hyponyms: list[Any] = []
        reached = {synset.name()}
        level = [synset]
        for _ in range(hyponym_depth):
            level = [child for parent in level for child in _hyponyms(parent) if child.name() not in reached]
            level = list({child.name(): child for child in level}.values())  # one entry per synset
            reached.update(child.name() for child in level)
            hyponyms.extend(level)
        groups = (("synonym", [synset]), ("hypernym", _hypernyms(synset)), ("hyponym", hyponyms))
        seen: set[str] = set()
        for relation, synsets in groups:
            for other in synsets:
                for lemma_name in other.lemma_names():
                    text = _text(lemma_name)
                    if text.lower() not in seen:
                        seen.add(text.lower())
                        rows.append((synset.name(), relation, text, other.name()))
    return pd.DataFrame(rows, columns=["class_synset", "relation", "text", "synset"])
