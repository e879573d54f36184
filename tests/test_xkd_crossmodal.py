"""The xkd crossmodal teacher: relaxed text, text arms, rows, loss terms, attribution, label leakage."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from kdgen.distill.teachers import EmbeddingTeacher
from kdgen.xkd.crossmodal import (
    ARM_PATTERN,
    Arm,
    CrossmodalError,
    CrossmodalLoss,
    CrossmodalTeacher,
    arm_inputs,
    entropy_nats,
    integrated_gradients_image_share,
    parse_arm,
    relaxed_text,
    split_rows,
)

D, C, M = 8, 5, 12


def unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=1, keepdim=True)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread is fastest and does not spin against other processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def problem():
    """Image embeddings, labels, sparse dataset-level ids, class texts and a vocabulary (all unit-norm)."""
    g = torch.Generator().manual_seed(0)
    n = 2000
    class_text = unit(torch.randn(C, D, generator=g))
    labels = torch.randint(0, C, (n,), generator=g)
    image = unit(class_text[labels] + 0.8 * torch.randn(n, D, generator=g))
    ids = 1000 + 7 * torch.arange(n)
    vocab = unit(torch.randn(M, D, generator=g))
    return image, labels, ids, class_text, vocab


# ---------------------------------------------------------------------------------------------- relaxed text


def test_relaxed_text_small_tau_picks_the_nearest_noun():
    vocab = torch.eye(D)[:6] * 3.0  # normalised inside
    v = unit(torch.tensor([[0.9, 0.3, 0.1, 0, 0, 0, 0, 0], [0.1, 0.2, 0.0, 0.0, 0.0, 0.7, 0.0, 0.1]]))
    t = relaxed_text(v, vocab, 1e-4)
    assert torch.allclose(t, torch.eye(D)[[0, 5]], atol=1e-6, rtol=0)


def test_relaxed_text_large_tau_approaches_the_normalised_mean():
    g = torch.Generator().manual_seed(1)
    vocab = torch.randn(M, D, generator=g)
    v = unit(torch.randn(4, D, generator=g))
    mean = unit(unit(vocab).mean(0, keepdim=True)).expand(4, D)
    assert torch.allclose(relaxed_text(v, vocab, 1e6), mean, atol=1e-5)
    assert (relaxed_text(v, vocab, 1.0) - mean).norm() > (relaxed_text(v, vocab, 1e3) - mean).norm()


def test_relaxed_text_rejects_bad_tau_and_shapes():
    with pytest.raises(CrossmodalError, match="tau"):
        relaxed_text(torch.ones(2, D), torch.ones(3, D), 0.0)
    with pytest.raises(CrossmodalError, match="one D"):
        relaxed_text(torch.ones(2, D), torch.ones(3, D + 1), 0.1)


# ---------------------------------------------------------------------------------------------- arms


@pytest.mark.parametrize(
    "name, arm",
    [
        ("exact", Arm("exact")),
        ("relaxed", Arm("relaxed")),
        ("image", Arm("image")),
        ("text", Arm("text")),
        ("mix0", Arm("mix", 0)),
        ("mix50", Arm("mix", 50)),
        ("mix100", Arm("mix", 100)),
        ("noise20", Arm("noise", 20)),
        ("permute100", Arm("permute", 100)),
    ],
)
def test_parse_arm_accepts_the_forms(name, arm):
    assert parse_arm(name) == arm
    assert arm.name == name
    assert re.fullmatch(ARM_PATTERN, name)


@pytest.mark.parametrize("name", ["mix101", "noise-5", "foo", "permute", "mix050", "exact10", "Mix50", ""])
def test_parse_arm_rejects_other_names(name):
    with pytest.raises(CrossmodalError, match=re.escape(repr(name))) as err:
        parse_arm(name)
    assert "mix<x>, noise<p> or permute<p>" in str(err.value)
    assert not re.fullmatch(ARM_PATTERN, name)


def test_parse_arm_names_the_range():
    with pytest.raises(CrossmodalError, match="outside 0..100"):
        parse_arm("mix101")


def test_exact_relaxed_image_text_rows(problem):
    image, labels, ids, class_text, _ = problem
    for name in ("exact", "relaxed", "image", "text"):
        rows = arm_inputs(parse_arm(name), image, labels, ids, class_text, seed=0)
        assert rows.shape == (len(image), 2 * D + 2)
        v, g, relaxed, image_on = split_rows(rows, D)
        assert torch.equal(v, image)
        if name == "exact":
            assert torch.equal(g, class_text[labels]) and not relaxed.any() and image_on.eq(1).all()
        elif name == "relaxed":
            assert not g.any() and relaxed.eq(1).all() and image_on.eq(1).all()
        elif name == "image":
            assert not g.any() and not relaxed.any() and image_on.eq(1).all()
        else:
            assert not g.any() and relaxed.eq(1).all() and not image_on.any()


def test_mix_draws_about_x_percent_and_subsets_get_the_same_draws(problem):
    image, labels, ids, class_text, _ = problem
    arm = parse_arm("mix50")
    rows = arm_inputs(arm, image, labels, ids, class_text, seed=3)
    exact = rows[:, 2 * D] == 0
    assert 0.45 < exact.float().mean() < 0.55
    assert torch.equal(rows[exact, D : 2 * D], class_text[labels[exact]])
    assert not rows[~exact, D : 2 * D].any()
    sub = torch.arange(len(ids) - 1, 0, -3)  # a subset, in another order
    assert torch.equal(arm_inputs(arm, image[sub], labels[sub], ids[sub], class_text, seed=3), rows[sub])
    other = arm_inputs(arm, image, labels, ids, class_text, seed=4)
    assert not torch.equal(other, rows)
    assert (arm_inputs(parse_arm("mix0"), image, labels, ids, class_text, 3)[:, 2 * D] == 1).all()
    assert (arm_inputs(parse_arm("mix100"), image, labels, ids, class_text, 3)[:, 2 * D] == 0).all()


def shown_labels(rows: torch.Tensor, class_text: torch.Tensor) -> torch.Tensor:
    return (rows[:, D : 2 * D] @ class_text.T).argmax(1)


def test_noise100_redraws_every_label_to_another_class(problem):
    image, labels, ids, class_text, _ = problem
    rows = arm_inputs(parse_arm("noise100"), image, labels, ids, class_text, seed=0)
    shown = shown_labels(rows, class_text)
    assert (shown != labels).all()
    counts = torch.bincount(shown, minlength=C).float()
    assert counts.min() > 0.1 * len(labels)  # spread over the classes
    sub = torch.arange(5, len(ids), 4)
    assert torch.equal(arm_inputs(parse_arm("noise100"), image[sub], labels[sub], ids[sub], class_text, 0), rows[sub])


def test_noise_and_permute_corrupt_the_same_share(problem):
    image, labels, ids, class_text, _ = problem
    noisy = shown_labels(arm_inputs(parse_arm("noise20"), image, labels, ids, class_text, seed=1), class_text) != labels
    assert 0.16 < noisy.float().mean() < 0.24
    permuted = arm_inputs(parse_arm("permute20"), image, labels, ids, class_text, seed=1)
    changed = shown_labels(permuted, class_text) != labels
    assert not (changed & ~noisy).any()  # permute moves labels only among the noise-selected samples
    assert rows_without_flags(permuted)


def rows_without_flags(rows: torch.Tensor) -> bool:
    return bool((rows[:, 2 * D] == 0).all() and (rows[:, 2 * D + 1] == 1).all())


def test_permute_keeps_the_label_multiset(problem):
    image, labels, ids, class_text, _ = problem
    rows = arm_inputs(parse_arm("permute100"), image, labels, ids, class_text, seed=0)
    shown = shown_labels(rows, class_text)
    assert torch.equal(torch.bincount(shown, minlength=C), torch.bincount(labels, minlength=C))
    assert (shown != labels).float().mean() > 0.6
    perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(9))  # row order does not matter
    assert torch.equal(arm_inputs(parse_arm("permute100"), image[perm], labels[perm], ids[perm], class_text, 0), rows[perm])


def test_arm_inputs_rejects_bad_labels(problem):
    image, labels, ids, class_text, _ = problem
    with pytest.raises(CrossmodalError, match="labels range"):
        arm_inputs(parse_arm("exact"), image, labels + C, ids, class_text, 0)
    with pytest.raises(CrossmodalError, match="ids"):
        arm_inputs(parse_arm("exact"), image, labels, ids[:-1], class_text, 0)


# ---------------------------------------------------------------------------------------------- teacher and loss


def test_teacher_text_and_features(problem):
    image, labels, ids, class_text, vocab = problem
    model = CrossmodalTeacher(vocab, class_text, tau=0.05, hidden=16, seed=0)
    rows = torch.cat([arm_inputs(parse_arm(a), image[:4], labels[:4], ids[:4], class_text, 0) for a in ("exact", "relaxed", "image", "text")])
    z = model.features(rows)
    assert z.shape == (16, 2 * D)
    t = relaxed_text(image[:4], vocab, 0.05)
    assert torch.equal(z[:4, D:], class_text[labels[:4]])
    assert torch.allclose(z[4:8, D:], t) and torch.allclose(z[12:, D:], t)
    assert not z[8:12, D:].any() and not z[12:, :D].any()
    assert torch.equal(z[:12, :D], image[:4].repeat(3, 1))
    assert model(rows).shape == (16, C)
    # usable as the head of an EmbeddingTeacher over a per-id table of rows
    table = arm_inputs(parse_arm("relaxed"), image[:10], labels[:10], ids[:10], class_text, 0)
    teacher = EmbeddingTeacher(embeddings=table, num_classes=C, ids=ids[:10], head=model)
    pick = torch.tensor([7, 2, 2])
    assert torch.allclose(teacher(torch.zeros(3, 3, 4, 4), ids[pick]), model(table[pick]))


def test_loss_terms_equal_hand_computations(problem):
    image, labels, ids, class_text, vocab = problem
    torch.manual_seed(0)
    model = CrossmodalTeacher(vocab, class_text, tau=0.1, hidden=None, seed=1)
    with torch.no_grad():
        model.vocab.add_(0.3 * torch.randn(M, D)).mul_(2.0)  # drift, off the unit sphere
    rows = torch.cat([arm_inputs(parse_arm(a), image[:3], labels[:3], ids[:3], class_text, 0) for a in ("noise100", "relaxed", "image")])
    y = labels[:3].repeat(3)
    method = CrossmodalLoss(w_hier=0.3, w_reg=0.01)
    logits, terms, logged = method(model, rows, y, None)
    assert torch.allclose(model.vocab.norm(dim=1), torch.ones(M), atol=1e-6)  # renormalised before the forward

    def cos(a, b):
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))

    text = torch.cat([class_text[shown_labels(rows[:3], class_text)], relaxed_text(image[:3], model.vocab, 0.1)])
    cos_text = cos(class_text[y[:6]], text).mean()  # the image-only rows (zero text) are skipped
    cos_vocab = cos(model.vocab, unit(vocab)).mean()
    z = torch.cat([rows[:, :D], torch.cat([text, torch.zeros(3, D)])], 1)
    ce = -torch.log_softmax(z @ model.head.weight.T + model.head.bias, 1)[torch.arange(9), y].mean()
    assert set(terms) == {"ce", "hier", "reg"} and set(logged) == {"cos_text", "cos_vocab"}
    assert torch.allclose(logits, z @ model.head.weight.T + model.head.bias, atol=1e-5)
    assert torch.allclose(terms["ce"], ce, atol=1e-5)
    assert torch.allclose(terms["hier"], 0.3 * (1 - cos_text), atol=1e-6)
    assert torch.allclose(terms["reg"], 0.01 * (1 - cos_vocab), atol=1e-7)
    assert torch.allclose(logged["cos_text"], cos_text, atol=1e-6)
    assert torch.allclose(logged["cos_vocab"], cos_vocab, atol=1e-6)
    assert cos_vocab < 0.999
    sum(terms.values()).backward()
    assert model.vocab.grad is not None and model.vocab.grad.abs().sum() > 0
    assert method.settings() == {"w_hier": 0.3, "w_reg": 0.01}


def test_loss_on_image_only_rows_has_no_nan(problem):
    image, labels, ids, class_text, vocab = problem
    model = CrossmodalTeacher(vocab, class_text)
    rows = arm_inputs(parse_arm("image"), image[:8], labels[:8], ids[:8], class_text, 0)
    _, terms, logged = CrossmodalLoss()(model, rows, labels[:8])
    assert all(torch.isfinite(t) for t in terms.values()) and terms["hier"] == 0
    assert torch.isnan(logged["cos_text"])


def test_loss_config_defaults_and_errors():
    assert CrossmodalLoss.from_config({}).settings() == {"w_hier": 0.2, "w_reg": 0.005}
    with pytest.raises(CrossmodalError, match="w_hierr"):
        CrossmodalLoss.from_config({"w_hierr": 0.1})
    with pytest.raises(CrossmodalError, match="w_reg"):
        CrossmodalLoss(w_reg=-1)


def test_renormalise_makes_vocab_rows_unit(problem):
    *_, class_text, vocab = problem
    model = CrossmodalTeacher(vocab * 5, class_text)
    assert torch.allclose(model.vocab.norm(dim=1), torch.ones(M), atol=1e-6)
    assert torch.equal(model.vocab.detach(), model.vocab0)
    with torch.no_grad():
        model.vocab.mul_(torch.linspace(0.5, 3, M)[:, None])
    model.renormalise_()
    assert torch.allclose(model.vocab.norm(dim=1), torch.ones(M), atol=1e-6)
    assert torch.allclose(model.vocab.detach(), model.vocab0, atol=1e-6)


def test_entropy_nats():
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0], [100.0, 0.0, 0.0, 0.0]])
    assert torch.allclose(entropy_nats(logits), torch.tensor([torch.log(torch.tensor(4.0)), 0.0]), atol=1e-6)


# ---------------------------------------------------------------------------------------------- attribution


def test_integrated_gradients_completeness_on_an_mlp_head(problem):
    image, labels, ids, class_text, vocab = problem
    model = CrossmodalTeacher(vocab, class_text, tau=0.05, hidden=16, seed=2)
    rows = arm_inputs(parse_arm("mix50"), image[:20], labels[:20], ids[:20], class_text, 0)
    out = integrated_gradients_image_share(model, rows, labels[:20], steps=400, batch=8)
    expected = out["expected"]
    assert torch.allclose(out["attr_sum"] - expected, out["delta"], atol=1e-5)
    # within 1% of head(z)[y] - head(0)[y]; for near-cancelling samples, 1% of the batch's typical size
    scale = torch.maximum(expected.abs(), expected.abs().mean())
    assert (out["delta"].abs() <= 0.01 * scale).all(), (out["delta"], expected)
    assert ((out["image_share"] >= 0) & (out["image_share"] <= 1)).all()


def test_image_share_is_one_for_image_only_and_zero_for_text_only(problem):
    image, labels, ids, class_text, vocab = problem
    model = CrossmodalTeacher(vocab, class_text, hidden=None, seed=0)
    for name, share in (("image", 1.0), ("text", 0.0)):
        rows = arm_inputs(parse_arm(name), image[:10], labels[:10], ids[:10], class_text, 0)
        out = integrated_gradients_image_share(model, rows, labels[:10], steps=20)
        assert torch.equal(out["image_share"], torch.full((10,), share)), name


# ---------------------------------------------------------------------------------------------- label leakage


def test_exact_arm_leaks_the_label_to_full_train_accuracy(problem):
    image, labels, ids, class_text, vocab = problem
    n = 200
    image, labels, ids = image[:n], labels[:n], ids[:n]
    rows = arm_inputs(parse_arm("exact"), image, labels, ids, class_text, seed=0)
    torch.manual_seed(0)
    model = CrossmodalTeacher(vocab, class_text, hidden=None, seed=0)
    method = CrossmodalLoss()
    opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    for _ in range(200):
        _, terms, _ = method(model, rows, labels)
        opt.zero_grad()
        sum(terms.values()).backward()
        opt.step()
    with torch.no_grad():
        logits = model(rows)
    assert (logits.argmax(1) == labels).all()
    assert entropy_nats(logits).mean() < 0.2
    relaxed = arm_inputs(parse_arm("relaxed"), image, labels, ids, class_text, seed=0)
    assert F.cross_entropy(model(relaxed), labels) > F.cross_entropy(logits, labels)
