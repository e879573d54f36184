"""The class-conditional diffusion generator: config checks, resumable seeded training, seeded sampling."""

from __future__ import annotations

from dataclasses import asdict
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from kdgen.generative.diffusion import (
    DiffusionConfig,
    build_unet,
    guided_noise,
    load_generator,
    sample_diffusion,
    save_generator,
    train_diffusion,
)

TINY = dict(image_size=8, widths=[8, 16], num_classes=3, batch_size=8, warmup=2, sample_steps=4)
QUIET = dict(progress=False, log=lambda s: None)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data(n: int = 24, classes: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, 8, 8), generator=gen, dtype=torch.uint8), torch.arange(n) % classes


def _tiny(**changes) -> DiffusionConfig:
    return DiffusionConfig(**{**TINY, **changes})


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(sampler="euler"), "sampler"),
        (dict(guidance_scale=-1.0), "guidance_scale"),
        (dict(widths=[8, 12]), "norm_groups"),
        (dict(image_size=6, widths=[8, 16, 16]), "image_size"),
        (dict(num_classes=0), "num_classes"),
        (dict(beta_schedule="cosine"), "beta_schedule"),
        (dict(ema=1.0), "ema"),
        (dict(cond_drop=1.0), "cond_drop"),
        (dict(sample_steps=0), "sample_steps"),
        (dict(cond_drop=0.0, guidance_scale=2.0), "cond_drop"),
    ],
)
def test_config_errors_name_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        _tiny(**changes)


def test_config_reports_every_bad_field_on_its_own_line():
    with pytest.raises(ValueError) as err:
        _tiny(sampler="euler", lr=0.0)
    lines = str(err.value).splitlines()
    assert any("sampler" in line for line in lines) and any(line.startswith("lr") for line in lines)
    assert len(lines) == 3


def test_unet_is_class_conditional_with_a_null_class_and_optional_attention():
    plain, attn = build_unet(_tiny()), build_unet(_tiny(attention=True))
    assert plain.class_embedding.num_embeddings == 4
    from diffusers.models.attention_processor import Attention

    assert not any(isinstance(m, Attention) for m in plain.modules())
    assert sum(isinstance(m, Attention) for m in attn.modules()) == 4  # lowest down block, mid, lowest up block (2)
    assert (
        type(attn.down_blocks[-1]).__name__ == "AttnDownBlock2D" and type(attn.up_blocks[0]).__name__ == "AttnUpBlock2D"
    )
    assert type(attn.down_blocks[0]).__name__ == "DownBlock2D"
    same = build_unet(_tiny(), seed=0).state_dict()
    assert all(torch.equal(v, same[k]) for k, v in plain.state_dict().items())


def _ema_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sb = b.state_dict()
    return all(torch.equal(v, sb[k]) for k, v in a.state_dict().items())


def test_killed_or_extended_run_resumes_bit_identical(tmp_path):
    x, y = _data()
    cfg = _tiny(steps=6)
    full, h_full = train_diffusion(cfg, x, y, 5, tmp_path / "a", checkpoint_every=3, **QUIET)
    assert [row["step"] for row in h_full] == [3, 6]
    # extended: a 3-step run, then the same state folder asked for 6 steps
    train_diffusion(_tiny(steps=3), x, y, 5, tmp_path / "b", checkpoint_every=3, **QUIET)
    logs = []
    ext, h_ext = train_diffusion(cfg, x, y, 5, tmp_path / "b", checkpoint_every=3, progress=False, log=logs.append)
    assert any("resuming diffusion training at step 3" in line for line in logs)
    assert _ema_equal(full, ext) and h_ext == h_full

    # killed: stop right after the checkpoint at step 3, then run again
    def kill(line: str) -> None:
        if line.startswith("step 3/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_diffusion(cfg, x, y, 5, tmp_path / "c", checkpoint_every=3, progress=False, log=kill)
    resumed, h_res = train_diffusion(cfg, x, y, 5, tmp_path / "c", checkpoint_every=3, **QUIET)
    assert _ema_equal(full, resumed) and h_res == h_full

    # another seed does not take the state over
    logs = []
    other, _ = train_diffusion(cfg, x, y, 6, tmp_path / "c", checkpoint_every=3, progress=False, log=logs.append)
    assert any("ignoring" in line for line in logs) and not _ema_equal(full, other)


def test_sampling_is_seeded_and_both_samplers_give_uint8(tmp_path):
    x, y = _data()
    cfg = _tiny(steps=3)
    model, _ = train_diffusion(cfg, x, y, 0, tmp_path, **QUIET)
    labels = np.array([0, 1, 2, 1, 0])
    a = sample_diffusion(model, cfg, labels, seed=1)
    assert a.dtype == np.uint8 and a.shape == (5, 8, 8, 3)
    np.testing.assert_array_equal(a, sample_diffusion(model, cfg, labels, seed=1, batch=2))  # batching does not matter
    np.testing.assert_array_equal(a[1:3], sample_diffusion(model, cfg, labels[:3], seed=1)[1:3])
    assert not np.array_equal(a, sample_diffusion(model, cfg, labels, seed=2))
    dpm = _tiny(steps=3, sampler="dpm_solver", sample_steps=3, guidance_scale=0.0)
    b = sample_diffusion(model, dpm, labels, seed=1)
    assert b.dtype == np.uint8 and b.shape == (5, 8, 8, 3) and not np.array_equal(a, b)
    assert sample_diffusion(model, cfg, np.array([], dtype=np.int64), seed=1).shape == (0, 8, 8, 3)


class _Stub:
    """A fake UNet whose prediction depends on the input, the step and the label; it counts its calls."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, x: torch.Tensor, t: torch.Tensor, class_labels: torch.Tensor) -> SimpleNamespace:
        self.batches.append(len(x))
        return SimpleNamespace(sample=x * 0.5 + t * 0.01 + class_labels.float()[:, None, None, None] ** 2)


def test_guidance_combines_conditional_and_null_predictions():
    x = torch.randn(4, 3, 8, 8)
    t, y, null = torch.tensor(7), torch.tensor([0, 1, 2, 1]), 3
    stub = _Stub()
    cond = stub(x, t, class_labels=y).sample
    uncond = stub(x, t, class_labels=torch.full_like(y, null)).sample
    stub.batches.clear()
    torch.testing.assert_close(guided_noise(stub, x, t, y, null, 1.0), cond, rtol=0, atol=0)
    torch.testing.assert_close(guided_noise(stub, x, t, y, null, 0.0), uncond, rtol=0, atol=0)
    assert stub.batches == [4, 4]  # scales 1 and 0: one plain forward each
    torch.testing.assert_close(guided_noise(stub, x, t, y, null, 2.5), uncond + 2.5 * (cond - uncond))
    assert stub.batches[-1] == 8  # cond and null in one batched forward


def test_guidance_one_samples_with_the_conditional_model_alone(tmp_path):
    x, y = _data()
    cfg = _tiny(steps=2, guidance_scale=1.0)
    model, _ = train_diffusion(cfg, x, y, 0, tmp_path, **QUIET)
    labels = np.array([0, 1, 2])
    seen = []
    handle = model.register_forward_pre_hook(
        lambda m, args, kwargs: seen.append(kwargs["class_labels"]), with_kwargs=True
    )
    sample_diffusion(model, cfg, labels, seed=0)
    handle.remove()
    assert len(seen) == cfg.sample_steps and all(torch.equal(c, torch.from_numpy(labels)) for c in seen)


def test_save_load_round_trip_gives_identical_samples(tmp_path):
    x, y = _data()
    cfg = _tiny(steps=2, attention=True)
    model, _ = train_diffusion(cfg, x, y, 0, tmp_path / "state", **QUIET)
    save_generator(model, cfg, tmp_path / "gen.pt")
    loaded, cfg2 = load_generator(tmp_path / "gen.pt")
    assert asdict(cfg2) == asdict(cfg)
    labels = np.array([2, 0, 1])
    np.testing.assert_array_equal(sample_diffusion(model, cfg, labels, 3), sample_diffusion(loaded, cfg2, labels, 3))


def test_it_learns_which_class_is_bright(tmp_path):
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(64) % 2
    level = torch.where(labels == 1, 200.0, 50.0) + torch.randint(-15, 16, (64,), generator=gen)
    images = level[:, None, None, None].expand(64, 3, 8, 8).round().to(torch.uint8).contiguous()
    cfg = DiffusionConfig(
        image_size=8,
        widths=[32],
        num_classes=2,
        steps=200,
        batch_size=16,
        warmup=10,
        sampler="dpm_solver",
        sample_steps=10,
    )
    model, history = train_diffusion(cfg, images, labels, 0, tmp_path, checkpoint_every=50, **QUIET)
    assert history[-1]["loss"] < history[0]["loss"] / 4
    out = sample_diffusion(model, cfg, np.repeat([0, 1], 16), seed=0).astype(float)
    dark, bright = out[:16].mean(), out[16:].mean()
    assert bright - dark > 60, (dark, bright)  # measured 113 to 129 over training seeds 0 to 2
