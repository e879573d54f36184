"""xkd vocabulary: WordNet candidate nouns, spherical k-means, TAC's noun selection, the per-class tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from kdgen.xkd import vocabulary
from kdgen.xkd.vocabulary import (
    Candidate,
    VocabularyError,
    candidate_nouns,
    selected_indices,
    spherical_kmeans,
    tac_select,
    vocabulary_texts,
    wordnet_tree_select,
)
from scipy.special import softmax
from sklearn.metrics import adjusted_rand_score


def _unit(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x, dim=1)


def _planted(n_per: int = 50, k: int = 4, dim: int = 16, noise: float = 0.1, seed: int = 1):
    """``k`` orthogonal directions in ``dim``-d, ``n_per`` noisy unit points around each; labels in blocks."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.eye(dim)[:k]
    labels = torch.arange(k).repeat_interleave(n_per)
    x = _unit(directions[labels] + noise * torch.randn(k * n_per, dim, generator=g))
    return x, labels, directions


# --- candidate nouns on the real WordNet ------------------------------------------------------------


def _no_duplicate_texts(candidates: list[Candidate]) -> bool:
    texts = [c.text.lower() for c in candidates]
    return len(texts) == len(set(texts))


def test_root_mode_is_breadth_first_from_the_root(wordnet):
    root = wordnet.synset("shape.n.02")
    everything = candidate_nouns(wordnet, root="shape.n.02")
    assert len(everything) == 798 and _no_duplicate_texts(everything)  # the measured closure size
    assert [c.text for c in everything[:2]] == [t.replace("_", " ") for t in root.lemma_names()]
    capped = candidate_nouns(wordnet, root="shape.n.02", cap=30)
    assert len(capped) == 30 and capped == everything[:30]
    assert all(isinstance(c, Candidate) and "_" not in c.text for c in capped)
    # the root and its direct hyponyms come before anything deeper
    level1 = {s.name() for s in root.hyponyms() + root.instance_hyponyms()} | {root.name()}
    n_level1 = sum(1 for c in everything if c.synset in level1)
    assert {c.synset for c in everything[:n_level1]} == level1


def test_near_mode_is_the_neighbourhood_of_the_classes(wordnet):
    near = candidate_nouns(wordnet, near=["triangle.n.01", "circle.n.01"], cap=50)
    texts = [c.text for c in near]
    assert len(near) == 50 and _no_duplicate_texts(near)
    assert texts[:4] == ["triangle", "trigon", "trilateral", "circle"]  # the classes' own lemmas first
    assert {"polygon", "plane figure", "conic section", "equilateral triangle"} <= set(texts)
    assert candidate_nouns(wordnet, near=["triangle.n.01", "circle.n.01"], cap=50) == near  # deterministic
    assert candidate_nouns(wordnet, near=["triangle.n.01", "circle.n.01"], cap=10) == near[:10]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"root": "shpe.n.02"}, r"xkd\.vocabulary\.root = 'shpe\.n\.02': WordNet has no such synset.*'shape\.n\.02'"),
        ({"root": "shape"}, r"xkd\.vocabulary\.root = 'shape': WordNet has no such synset"),
        ({"root": "run.v.01"}, r"xkd\.vocabulary\.root = 'run\.v\.01': run\.v\.01 is not a noun synset"),
        (
            {"near": ["triangle.n.01", "circel.n.01"]},
            r"near\[1\] = 'circel\.n\.01' \(a class synset, for xkd\.vocabulary\.candidates = classes\): WordNet",
        ),
        ({"near": []}, r"near = \[\] \(the class synsets.*expected a non-empty list"),
        ({"root": "shape.n.02", "cap": 0}, r"xkd\.vocabulary\.cap = 0: expected a whole number >= 1"),
        ({"root": "shape.n.02", "near": ["circle.n.01"]}, r"expected at most one of them"),
    ],
)
def test_bad_settings_name_the_key(wordnet, kwargs, expected):
    with pytest.raises(VocabularyError, match=expected):
        candidate_nouns(wordnet, **kwargs)


class _FakeSynset:
    def __init__(self, name: str, lemmas: list[str]):
        self._name, self._lemmas = name, lemmas

    def name(self) -> str:
        return self._name

    def pos(self) -> str:
        return self._name.split(".")[1]

    def lemma_names(self) -> list[str]:
        return self._lemmas


class _FakeWordNet:
    """All the full-noun mode reads: ``all_synsets('n')`` (the real one takes ~7 s to list 82,115)."""

    def all_synsets(self, pos: str):
        assert pos == "n"
        yield _FakeSynset("dog.n.01", ["dog", "domestic_dog"])
        yield _FakeSynset("mercury.n.01", ["Mercury"])
        yield _FakeSynset("mercury.n.02", ["mercury", "quicksilver"])
        yield _FakeSynset("dog.n.02", ["dog"])


def test_all_nouns_mode_dedupes_texts_keeping_the_first_synset():
    got = candidate_nouns(_FakeWordNet())
    assert got == [
        Candidate("dog", "dog.n.01"),
        Candidate("domestic dog", "dog.n.01"),
        Candidate("Mercury", "mercury.n.01"),  # CLIP lower-cases: 'mercury' is the same text
        Candidate("quicksilver", "mercury.n.02"),
    ]
    assert candidate_nouns(_FakeWordNet(), cap=3) == got[:3]


def test_vocabulary_texts():
    candidates = [Candidate("a", "a.n.01"), Candidate("b b", "b.n.01"), Candidate("c", "c.n.01")]
    assert vocabulary_texts(candidates, np.array([2, 0])) == ["c", "a"]
    assert vocabulary_texts(candidates, torch.tensor([1])) == ["b b"]
    with pytest.raises(VocabularyError, match=r"\[3\]: out of range for 3 candidate nouns"):
        vocabulary_texts(candidates, [0, 3])


# --- spherical k-means -------------------------------------------------------------------------------


def test_spherical_kmeans_recovers_planted_clusters():
    x, labels, directions = _planted()
    result = spherical_kmeans(x, 4, seed=0)
    assert adjusted_rand_score(labels.numpy(), result.assign.numpy()) == 1.0
    assert result.assign.dtype == torch.int64 and result.assign.shape == (200,)
    assert torch.allclose(result.centres.norm(dim=1), torch.ones(4), atol=1e-5)
    # each centre is the normalised mean of its points, close to its planted direction
    match = (result.centres @ directions.T).max(dim=1).values
    assert bool((match > 0.95).all())
    cos = (x * result.centres[result.assign]).sum(dim=1)
    assert result.mean_cosine == pytest.approx(cos.mean().item(), abs=1e-6)
    assert result.inertia == pytest.approx((1 - cos).sum().item(), abs=1e-4)


def test_spherical_kmeans_is_deterministic_for_a_seed():
    x, labels, _ = _planted(noise=0.6)  # overlapping clusters: the start matters
    a, b = spherical_kmeans(x, 6, seed=3), spherical_kmeans(x, 6, seed=3)
    assert torch.equal(a.assign, b.assign) and torch.equal(a.centres, b.centres)
    for seed in (1, 2):
        assert adjusted_rand_score(labels.numpy(), spherical_kmeans(_planted()[0], 4, seed=seed).assign.numpy()) == 1.0


def test_every_cluster_is_kept_when_k_equals_n():
    x, _, _ = _planted(n_per=3, noise=0.3)
    result = spherical_kmeans(x, 12, seed=0)
    assert sorted(result.assign.tolist()) == list(range(12))  # one point each: empty clusters re-seeded
    assert result.mean_cosine == pytest.approx(1.0, abs=1e-5)


def test_an_empty_cluster_is_reseeded_at_the_farthest_point(monkeypatch):
    x, labels, directions = _planted()
    # a start with two centres on cluster 0 and one pointing away from every point: it stays empty
    start = _unit(torch.stack([directions[0], directions[0] + 0.01 * directions[1], directions[2], -x.mean(0)]))
    assert torch.bincount((x @ start.T).argmax(1), minlength=4)[3] == 0  # the first assignment leaves one empty
    monkeypatch.setattr(vocabulary, "_plus_plus_init", lambda x, k, generator: start.clone())
    result = spherical_kmeans(x, 4)
    assert torch.bincount(result.assign, minlength=4).min() > 0
    assert adjusted_rand_score(labels.numpy(), result.assign.numpy()) == 1.0


def test_spherical_kmeans_rejects_bad_input():
    x, _, _ = _planted(n_per=2)
    with pytest.raises(VocabularyError, match=r"xkd\.vocabulary\.clusters = 9: more clusters than the 8 training"):
        spherical_kmeans(x, 9)
    with pytest.raises(VocabularyError, match="not unit vectors.*normalize"):
        spherical_kmeans(2 * x, 2)
    with pytest.raises(VocabularyError, match=r"clusters = 0"):
        spherical_kmeans(x, 0)
    with pytest.raises(VocabularyError, match=r"xkd\.vocabulary\.iterations = 0"):
        spherical_kmeans(x, 2, iters=0)
    assert spherical_kmeans(x, np.int64(2), iters=np.int64(5)).centres.shape == (2, 16)  # config numbers as NumPy


# --- TAC selection -----------------------------------------------------------------------------------


def _planted_nouns():
    """Unit centres (4 orthogonal axes in 16-d) and 11 nouns: 4, 3, 3 and 1 near centres 0..3, in turn."""
    centres = torch.eye(16)[:4]
    owner = [0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 0]
    closeness = [0.9, 0.8, 0.95, 0.7, 0.5, 0.99, 0.6, 0.8, 0.3, 0.85, 0.65]
    g = torch.Generator().manual_seed(0)
    off_axis = _unit(torch.randn(len(owner), 12, generator=g))
    nouns = torch.zeros(len(owner), 16)
    nouns[torch.arange(len(owner)), owner] = torch.tensor(closeness)
    nouns[:, 4:] = off_axis * torch.sqrt(1 - torch.tensor(closeness) ** 2)[:, None]
    return centres, _unit(nouns), owner


def test_tac_select_matches_a_hand_computation():
    centres, nouns, owner = _planted_nouns()
    temperature, per_cluster = 0.1, 2
    table = tac_select(centres, nouns, per_cluster=per_cluster, temperature=temperature)

    prob = softmax(nouns.double().numpy() @ centres.double().numpy().T / temperature, axis=1)
    expected = pd.DataFrame({"noun": np.arange(len(nouns)), "cluster": prob.argmax(1), "probability": prob.max(1)})
    assert expected["cluster"].tolist() == owner  # every planted noun lands in its centre's cluster
    expected = expected.sort_values(["cluster", "probability"], ascending=[True, False], kind="stable")
    expected["rank"] = expected.groupby("cluster").cumcount()
    expected = expected[expected["rank"] < per_cluster][["cluster", "rank", "noun", "probability"]]
    pd.testing.assert_frame_equal(table, expected.reset_index(drop=True), check_exact=False, rtol=1e-9)

    assert list(table.columns) == ["cluster", "rank", "noun", "probability"]
    assert table.groupby("cluster").size().tolist() == [2, 2, 2, 1]  # cluster 3 has a single noun
    assert table["noun"].tolist() == [0, 7, 5, 1, 2, 9, 3]  # by probability within a cluster
    assert selected_indices(table).tolist() == [0, 1, 2, 3, 5, 7, 9]


def test_tac_select_keeps_everything_with_a_large_per_cluster_and_checks_settings():
    centres, nouns, _ = _planted_nouns()
    assert len(tac_select(centres, nouns, per_cluster=100, temperature=1.0)) == len(nouns)
    with pytest.raises(VocabularyError, match=r"per_cluster = 0"):
        tac_select(centres, nouns, per_cluster=0, temperature=0.1)
    with pytest.raises(VocabularyError, match=r"temperature = 0\.0"):
        tac_select(centres, nouns, per_cluster=5, temperature=0.0)
    with pytest.raises(VocabularyError, match="same CLIP model"):
        tac_select(centres[:, :8], nouns, per_cluster=5, temperature=0.1)


# --- the per-class WordNet tree ----------------------------------------------------------------------


def test_wordnet_tree_select_on_triangle(wordnet):
    table = wordnet_tree_select(wordnet, ["triangle.n.01", "circle.n.01"], hyponym_depth=1)
    assert list(table.columns) == ["class_synset", "relation", "text", "synset"]
    tri = table[table["class_synset"] == "triangle.n.01"]
    relation = dict(zip(tri["text"], tri["relation"], strict=True))
    assert relation["triangle"] == "synonym" and relation["trigon"] == "synonym"
    assert relation["polygon"] == "hypernym" and relation["equilateral triangle"] == "hyponym"
    assert tri["relation"].tolist() == sorted(tri["relation"], key=["synonym", "hypernym", "hyponym"].index)
    assert not tri["text"].str.lower().duplicated().any()
    assert wordnet_tree_select(wordnet, ["triangle.n.01", "circle.n.01"], 1).equals(table)  # deterministic
    shallow = wordnet_tree_select(wordnet, ["triangle.n.01"], hyponym_depth=0)
    assert set(shallow["relation"]) == {"synonym", "hypernym"}
    expected = r"class_synsets\[0\] = 'trinagle\.n\.01' \(a class synset, for xkd\.vocabulary\.mode = wordnet_tree"
    with pytest.raises(VocabularyError, match=expected):
        wordnet_tree_select(wordnet, ["trinagle.n.01"])
