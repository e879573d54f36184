"""Replication metrics, FID/KID with an injected extractor, and the compact GANs."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from kdgen.generative.gan import GANConfig, build_gan
from kdgen.generative.training import sample, train_gan
from kdgen.metrics.fid import ClassifierFeatures, extractor_label, fid_kid
from kdgen.metrics.replication import (
    alpha_to_rms,
    feature_replication,
    nearest_training_images,
    ratio_test_rate,
    replication_rate,
)

RNG = np.random.default_rng(0)


def test_alpha_as_rms():
    assert alpha_to_rms(8000) == pytest.approx(36.08, abs=0.01)
    assert alpha_to_rms(2000, (32, 32, 3)) == pytest.approx(alpha_to_rms(8000), rel=1e-3)


def test_nearest_training_images_match_scikit_learn():
    train = RNG.integers(0, 256, (300, 8, 8, 3), dtype=np.uint8)
    samples = RNG.integers(0, 256, (50, 8, 8, 3), dtype=np.uint8)
    nn = nearest_training_images(samples, train, chunk=16)
    d, i = NearestNeighbors(n_neighbors=2, algorithm="brute").fit(train.reshape(300, -1).astype(float)).kneighbors(samples.reshape(50, -1).astype(float))
    np.testing.assert_array_equal(nn["index"], i[:, 0])
    np.testing.assert_allclose(nn["d1"], d[:, 0], rtol=1e-9)
    np.testing.assert_allclose(nn["d2"], d[:, 1], rtol=1e-9)


def test_planted_copies_replicate_and_fresh_noise_does_not():
    train = RNG.integers(0, 256, (200, 16, 16, 3), dtype=np.uint8)
    copies = np.clip(train[:64].astype(int) + RNG.integers(-3, 4, (64, 16, 16, 3)), 0, 255).astype(np.uint8)
    fresh = RNG.integers(0, 256, (64, 16, 16, 3), dtype=np.uint8)
    threshold = alpha_to_rms(8000)
    for name, samples, expected in (("copies", copies, 100.0), ("noise", fresh, 0.0)):
        nn = nearest_training_images(samples, train)
        assert replication_rate(nn["rms"], threshold) == expected, name
        assert ratio_test_rate(nn["d1"], nn["d2"]) == expected, name
    nn = nearest_training_images(np.concatenate([copies[:16], fresh[:48]]), train)
    assert replication_rate(nn["rms"], threshold) == 25.0


def test_feature_space_replication_finds_planted_copies_and_agrees_with_pixel_space():
    train = RNG.integers(0, 256, (120, 8, 8, 3), dtype=np.uint8)
    copies = np.clip(train[:40].astype(int) + RNG.integers(-2, 3, (40, 8, 8, 3)), 0, 255).astype(np.uint8)
    fresh = RNG.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    project = torch.from_numpy(RNG.normal(size=(8 * 8 * 3, 32)))  # a fixed random feature map

    def features(x):
        return torch.from_numpy(x.reshape(len(x), -1).astype(np.float64)) @ project

    for samples, expected in ((copies, 100.0), (fresh, 0.0)):
        pixel = nearest_training_images(samples, train)
        result = feature_replication(features(samples), features(train), pixel["index"])
        assert result["feat_rep_pct_ratio"] == expected
        if expected:
            assert result["feat_agree_pct"] == 100.0
    mixed = np.concatenate([copies[:10], fresh[:30]])
    result = feature_replication(features(mixed), features(train), np.full(40, -1))
    assert result["feat_rep_pct_ratio"] == 25.0 and result["feat_agree_pct"] == 0.0


def test_fid_and_kid_with_an_injected_extractor():
    from kdgen.models import build_model

    torch.manual_seed(0)
    features = ClassifierFeatures(build_model("tiny", 4, 16), image_size=16)
    a = RNG.integers(0, 128, (120, 16, 16, 3), dtype=np.uint8)
    b = RNG.integers(0, 128, (120, 16, 16, 3), dtype=np.uint8)
    shifted = (a.astype(int) + 120).clip(0, 255).astype(np.uint8)
    same = fid_kid(a, b, features)
    far = fid_kid(a, shifted, features)
    assert far["fid"] > 10 * max(same["fid"], 1e-6) and far["kid"] > same["kid"]
    assert "not Inception" in extractor_label(None, "resnet8")
    with pytest.raises(ValueError):
        fid_kid(a, b)


@pytest.mark.parametrize("family,classes", [("biggan", 0), ("biggan", 3), ("stylegan2", 0), ("stylegan2", 3)])
def test_gans_map_latents_to_images_and_score_them(family, classes):
    cfg = GANConfig(family=family, image_size=16, width=8, z_dim=16, w_dim=16, num_classes=classes)
    g, d = build_gan(cfg)
    y = torch.tensor([0, 1]) if classes else None
    x = g(torch.randn(2, 16), y)
    assert x.shape == (2, 3, 16, 16) and float(x.detach().abs().max()) <= 1.0
    assert d(x, y).shape == (2,)
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        GANConfig(image_size=24).blocks


def _images(n=24, size=8):
    return torch.from_numpy(RNG.integers(0, 256, (n, 3, size, size), dtype=np.uint8))


@pytest.mark.parametrize("family", ["biggan", "stylegan2"])
def test_gan_training_is_deterministic_and_resumes(tmp_path, family):
    torch.set_num_threads(1)
    x = _images()
    cfg = GANConfig(family=family, image_size=8, width=8, z_dim=8, w_dim=8, steps=12, batch_size=8, r1_every=2)
    quiet = dict(progress=False, log=lambda s: None, checkpoint_every=4)
    g1, h1 = train_gan(cfg, x, None, 3, tmp_path / "a", **quiet)
    g2, h2 = train_gan(cfg, x, None, 3, tmp_path / "b", **quiet)
    assert h1 == h2 and len(h1) == 3
    s1, s2 = sample(g1, cfg, 10, seed=1), sample(g2, cfg, 10, seed=1)
    assert s1.dtype == np.uint8 and s1.shape == (10, 8, 8, 3)
    np.testing.assert_array_equal(s1, s2)
    # stop after 8 of 12 steps (a shorter run with the same state folder), then resume to 12
    short = GANConfig(**{**cfg.__dict__, "steps": 8})
    train_gan(short, x, None, 3, tmp_path / "c", **quiet)
    state = torch.load(tmp_path / "c" / "state.pt", weights_only=True)
    state["fingerprint"] = state["fingerprint"].replace('"steps": 8', '"steps": 12')  # as a killed 12-step run saves it
    torch.save(state, tmp_path / "c" / "state.pt")
    logs = []
    g3, h3 = train_gan(cfg, x, None, 3, tmp_path / "c", progress=False, log=logs.append, checkpoint_every=4)
    assert any("resuming GAN training at step 8" in line for line in logs)
    assert h3 == h1
    np.testing.assert_array_equal(sample(g3, cfg, 10, seed=1), s1)


def test_external_samples_from_npz_and_folder(tmp_path):
    from PIL import Image

    from kdgen.data.sources import read_external_samples

    grey = RNG.integers(0, 256, (5, 12, 12), dtype=np.uint8)
    np.savez(tmp_path / "s.npz", samples=grey)
    out = read_external_samples(tmp_path / "s.npz", 8, limit=4)
    assert out.shape == (4, 8, 8, 3) and out.dtype == np.uint8
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        Image.fromarray(RNG.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / "imgs" / f"{i}.png")
    assert read_external_samples(tmp_path / "imgs", 16).shape == (3, 16, 16, 3)
    np.savez(tmp_path / "two.npz", a=grey, b=grey)
    with pytest.raises(KeyError, match="'samples'"):
        read_external_samples(tmp_path / "two.npz", 8)
    with pytest.raises(FileNotFoundError, match="ganrep.generators"):
        read_external_samples(tmp_path / "missing.npz", 8)


def _params(module):
    return sum(p.numel() for p in module.parameters())


def test_biggan_discriminator_can_match_its_generator_at_small_sizes():
    small = GANConfig(family="biggan", image_size=8, width=16, z_dim=64)
    g, d = build_gan(small)
    assert _params(d) > 2 * 7_800  # widths grow with depth and the 4x4 map is flattened (was 7.8k)
    wide = GANConfig(**{**small.__dict__, "d_width": 32})
    g, d = build_gan(wide)
    assert _params(d) > _params(g)
    assert d.linear.weight_orig.shape[1] == 64 * 16  # flatten head over the last 4x4 map
    with_std = build_gan(GANConfig(**{**wide.__dict__, "d_mbstd": True}))[1]
    x = torch.randn(4, 3, 8, 8)
    assert with_std(x).shape == (4,)
    assert not any(n.endswith("weight_orig") for n, _ in build_gan(GANConfig(**{**wide.__dict__, "g_spectral_norm": False}))[0].named_parameters())
    assert any(n.endswith("weight_orig") for n, _ in g.named_parameters())  # default: spectral norm in G
    assert GANConfig().lr_d == 4 * GANConfig().lr_g  # BigGAN's ratio by default


@pytest.mark.parametrize("family", ["biggan", "stylegan2"])
def test_d_steps_and_learning_rates_are_honoured(tmp_path, family):
    torch.set_num_threads(1)
    x = _images()
    cfg = GANConfig(family=family, image_size=8, width=8, z_dim=8, w_dim=8, steps=4, batch_size=8, lr_g=1e-3, lr_d=3e-3, r1_every=2)
    logs = []
    quiet = dict(progress=False, log=logs.append, checkpoint_every=2)
    _, h1 = train_gan(cfg, x, None, 3, tmp_path / "a", **quiet)
    state = torch.load(tmp_path / "a" / "state.pt", weights_only=True)
    assert state["opt_d"]["lr"] == 3e-3 and state["opt_g"]["lr"] == 1e-3
    two = GANConfig(**{**cfg.__dict__, "d_steps": 2})
    _, h2 = train_gan(two, x, None, 3, tmp_path / "a", **quiet)  # same folder: another config, starts over
    assert any("ignoring" in line for line in logs)
    assert h2 != h1
    state2 = torch.load(tmp_path / "a" / "state.pt", weights_only=True)
    d_updates = {float(m[0]) for m in state2["opt_d"]["moments"]} | {state2["opt_d"]["steps"]}
    g_updates = {float(m[0]) for m in state2["opt_g"]["moments"]} | {state2["opt_g"]["steps"]}
    assert d_updates == {2 * 4} and g_updates == {4}  # two D updates per G update
    _, h3 = train_gan(two, x, None, 3, tmp_path / "b", **quiet)
    assert h3 == h2  # deterministic with d_steps too


def test_standing_statistics_replace_the_running_ones(tmp_path):
    from kdgen.generative.training import standing_stats

    cfg = GANConfig(family="biggan", image_size=8, width=8, z_dim=8, num_classes=3)
    g = build_gan(cfg)[0].eval()
    before = g.out_bn.running_var.clone()
    standing_stats(g, cfg, seed=0)
    assert not torch.equal(before, g.out_bn.running_var) and not g.training and not g.out_bn.training
    again = build_gan(cfg)[0]
    again.load_state_dict(g.state_dict())
    standing_stats(again, cfg, seed=0)
    torch.testing.assert_close(again.out_bn.running_mean, g.out_bn.running_mean)


def test_auxiliary_classifier_is_optional_and_trains_d_on_real_classes(tmp_path):
    torch.set_num_threads(1)
    pure = GANConfig(family="biggan", image_size=8, width=8, z_dim=8, num_classes=3, steps=4, batch_size=8)
    d = build_gan(pure)[1]
    assert d.classifier is None
    with pytest.raises(ValueError, match="aux_class_weight"):
        d(torch.randn(2, 3, 8, 8), torch.tensor([0, 1]), with_classes=True)
    aux = GANConfig(**{**pure.__dict__, "aux_class_weight": 1.0})
    d = build_gan(aux)[1]
    scores, logits = d(torch.randn(2, 3, 8, 8), torch.tensor([0, 1]), with_classes=True)
    assert scores.shape == (2,) and logits.shape == (2, 3)
    x, y = _images(), torch.from_numpy(RNG.integers(0, 3, 24))
    quiet = dict(progress=False, log=lambda s: None, checkpoint_every=2)
    _, h_pure = train_gan(pure, x, y, 3, tmp_path / "a", **quiet)
    _, h_aux = train_gan(aux, x, y, 3, tmp_path / "b", **quiet)
    # the class term adds a cross-entropy (about log 3 at the start) to both losses
    assert h_aux[0]["loss_d"] > h_pure[0]["loss_d"] + 0.5 and h_aux[0]["loss_g"] > h_pure[0]["loss_g"] + 0.5
    state = torch.load(tmp_path / "b" / "state.pt", weights_only=True)
    assert any(k.startswith("classifier.") for k in state["d"])


def test_truncation_keeps_latents_inside_the_threshold():
    from kdgen.generative.training import truncated_normal

    z = truncated_normal(500, 16, 0.5, torch.Generator().manual_seed(0))
    assert z.shape == (500, 16) and float(z.abs().max()) < 0.5 and float(z.std()) > 0.2
    again = truncated_normal(500, 16, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(z, again)
    assert float(truncated_normal(500, 16, 0.0, torch.Generator().manual_seed(0)).abs().max()) > 2
    cfg = GANConfig(family="biggan", image_size=8, width=8, z_dim=8, num_classes=2, truncation=0.5)
    g = build_gan(cfg)[0].eval()
    wide = GANConfig(**{**cfg.__dict__, "truncation": 0.0})
    labels = np.zeros(64, dtype=np.int64)
    # truncated latents sit nearer the mode: the samples spread less
    assert sample(g, cfg, 64, 0, labels=labels).std(axis=0).mean() < sample(g, wide, 64, 0, labels=labels).std(axis=0).mean()


def test_ema_update_matches_the_per_tensor_reference():
    from kdgen.generative.gan import make_ema, update_ema

    for family in ("biggan", "stylegan2"):  # batch-norm buffers in one, none in the other
        cfg = GANConfig(family=family, image_size=8, width=8, z_dim=8, w_dim=8)
        torch.manual_seed(0)
        g = build_gan(cfg)[0]
        ema, reference = make_ema(g), make_ema(g)
        with torch.no_grad():
            for p in g.parameters():
                p.add_(torch.randn_like(p))
            for b in g.buffers():
                b.add_(1)
        update_ema(ema, g, 0.9)
        with torch.no_grad():
            for pr, pm in zip(reference.parameters(), g.parameters()):
                pr.lerp_(pm, 1 - 0.9)
            for br, bm in zip(reference.buffers(), g.buffers()):
                br.copy_(bm)
        for (name, a), b in zip(ema.state_dict().items(), reference.state_dict().values()):
            assert torch.equal(a, b), (family, name)
        assert not torch.equal(next(ema.parameters()), next(g.parameters()))


def test_seed_device_seeds_the_cpu_generator_as_manual_seed_does():
    from kdgen.train.trainer import seed_device

    torch.manual_seed(123)
    expected = torch.randn(5)
    torch.manual_seed(7)
    seed_device(123, torch.device("cpu"))
    assert torch.equal(torch.randn(5), expected)


@pytest.mark.parametrize("family", ["biggan", "stylegan2"])
def test_foreach_optimizer_keeps_the_numbers_of_the_per_tensor_loop(tmp_path, monkeypatch, family):
    # train_gan builds its Adams with foreach=True for speed on the CPU; the numbers must be those of
    # torch's per-tensor loop (the CPU default), so the speed-up changes no result
    import kdgen.generative.training as training

    torch.set_num_threads(1)
    x = _images()
    cfg = GANConfig(family=family, image_size=8, width=16, z_dim=16, w_dim=16, steps=30, batch_size=8, r1_every=2, lr_g=2e-3, lr_d=2e-3)
    quiet = dict(progress=False, log=lambda s: None)
    g_fast, h_fast = train_gan(cfg, x, None, 5, tmp_path / "fast", **quiet)
    adam = torch.optim.Adam
    plain = lambda params, **kw: adam(params, **{k: v for k, v in kw.items() if k not in ("foreach", "fused")}, foreach=False)  # noqa: E731
    monkeypatch.setattr(training.torch.optim, "Adam", plain)
    g_loop, h_loop = train_gan(cfg, x, None, 5, tmp_path / "loop", **quiet)
    assert h_fast == h_loop
    for a, b in zip(g_fast.state_dict().values(), g_loop.state_dict().values()):
        assert torch.equal(a, b)


def test_loss_history_rows_are_written_as_pandas_writes_them(tmp_path):
    import pandas as pd

    from kdgen.runtime import atomic_write_rows

    rows = [{"step": 100, "loss_d": 1.9560431241989136, "loss_g": 0.45}, {"step": 200, "loss_d": 0.1 + 0.2, "loss_g": -3e-09}]
    atomic_write_rows(tmp_path / "losses.csv", rows)
    pd.DataFrame(rows).to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "losses.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert pd.read_csv(tmp_path / "losses.csv").to_dict("records") == rows
    with pytest.raises(ValueError, match="no rows"):
        atomic_write_rows(tmp_path / "empty.csv", [])
    assert not (tmp_path / "empty.csv").exists()
