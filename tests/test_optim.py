"""kdgen.train.optim against torch.optim: the same updates bit for bit, the same after a save and load, and
no torch._dynamo import in a whole training run."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from kdgen.train.optim import SGD, Adam, AdamW


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))


def _loss(model: nn.Module, step: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(step)
    x, y = torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 5, (8,), generator=g)
    return nn.functional.cross_entropy(model(x), y)


PAIRS = {
    "sgd-nesterov": (lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)),
    "sgd-plain": (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    "adam-foreach": (lambda p: Adam(p, lr=0.004, betas=(0.0, 0.99), foreach=True),
                     lambda p: torch.optim.Adam(p, lr=0.004, betas=(0.0, 0.99), foreach=True)),
    "adamw": (lambda p: AdamW(p, lr=0.003, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.003, weight_decay=0.1)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_the_updates_are_torch_optims_bit_for_bit(name, tmp_path):
    ours_of, theirs_of = PAIRS[name]
    a, b = _model(), _model()
    ours, theirs = ours_of(list(a.parameters())), theirs_of(list(b.parameters()))
    for step in range(12):
        lr = 0.1 * (step + 1) / 12 if "sgd" in name else ours.lr  # a changing rate, set as the trainer sets it
        ours.lr = lr
        for group in theirs.param_groups:
            group["lr"] = lr
        for model, opt in ((a, ours), (b, theirs)):
            opt.zero_grad()
            _loss(model, step).backward()
            if step % 5 == 4:  # a parameter without a gradient this step is skipped by both
                model[4].bias.grad = None
            opt.step()
        if step == 6:  # a saved and reloaded state continues the same
            torch.save(ours.state_dict(), tmp_path / "opt.pt")
            ours = ours_of(list(a.parameters()))
            ours.load_state_dict(torch.load(tmp_path / "opt.pt", weights_only=True))
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), (name, step)
    assert ours.steps == 12


def test_a_training_run_imports_no_dynamo(tmp_path):
    code = (
        "import sys, torch\n"
        "from kdgen.train.trainer import TrainConfig, fit\n"
        "from kdgen.models import build_model\n"
        "x = torch.randint(0, 256, (40, 3, 16, 16), dtype=torch.uint8); y = torch.arange(40) % 4\n"
        "cfg = TrainConfig(epochs=2, batch_size=8, lr=0.05, warmup_epochs=1, augmentation='weak')\n"
        f"fit(build_model('tiny', 4, 16), x, y, x[:8], y[:8], cfg, {str(tmp_path / 'state')!r}, progress=False, log=lambda s: None)\n"
        "assert 'torch._dynamo' not in sys.modules, 'torch._dynamo was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
