"""Training-core budgets: trainer overhead, augmentation throughput, bf16 vs fp32.

    python benchmarks/training.py [--arch resnet20] [--images 2048] [--batch 128]

- trainer images/s against a bare PyTorch loop on the same model and data (budget: overhead <= 5%);
- images/s of each augmentation policy at 32 px (budget: >= 5x the trainer's resnet20 throughput);
- trainer images/s in bf16 autocast + channels-last against fp32.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
import torch.nn.functional as F

from kdgen.models import build_model
from kdgen.train.augment import Augmentation
from kdgen.train.trainer import TrainConfig, fit
from kdgen.runtime import cpu_model

POLICIES = ["none", "base", "weak", "strong", "randaugment-2-9", "ladder-5"]


def bare_loop(arch: str, x: torch.Tensor, y: torch.Tensor, batch: int, epochs: int) -> float:
    torch.manual_seed(0)
    model = build_model(arch, 100, x.shape[-1]).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    start = time.perf_counter()
    for _ in range(epochs):
        for i in range(0, len(x), batch):
            xb, yb = x[i : i + batch].float().div_(255), y[i : i + batch]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return epochs * len(x) / (time.perf_counter() - start)


def trainer_rate(arch: str, x: torch.Tensor, y: torch.Tensor, batch: int, epochs: int, **cfg: object) -> float:
    torch.manual_seed(0)
    model = build_model(arch, 100, x.shape[-1])
    config = TrainConfig(epochs=epochs, batch_size=batch, lr=0.05, eval_batch_size=512, **cfg)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        fit(model, x, y, x[:64], y[:64], config, tmp, progress=False, log=lambda s: None)
        return epochs * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet20")
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 100, (args.images,), generator=gen)
    print(f"{args.arch}, {args.images} images of 32 px, batch {args.batch}, {torch.get_num_threads()} threads, torch {torch.__version__}, {cpu_model()}")

    bare = bare_loop(args.arch, x, y, args.batch, args.epochs)
    ours = trainer_rate(args.arch, x, y, args.batch, args.epochs)
    overhead = (bare - ours) / bare
    print(f"bare PyTorch loop          {bare:9.1f} img/s")
    print(f"trainer (fp32, aug none)   {ours:9.1f} img/s   overhead {overhead:+.1%} (budget <= 5%: {'ok' if overhead <= 0.05 else 'OVER'})")

    bf16 = trainer_rate(args.arch, x, y, args.batch, args.epochs, precision="bf16", channels_last=True)
    print(f"trainer (bf16 + channels-last) {bf16:5.1f} img/s   {bf16 / ours:.2f}x fp32")

    print("augmentation policies (batch of 512, 32 px, one thread each image):")
    batch = x[:512]
    for name in POLICIES:
        aug = Augmentation(name, 32)
        aug(batch, 0)  # warm-up: the first call of some operations is slow
        times = []
        for seed in (1, 2, 3):
            start = time.perf_counter()
            aug(batch, seed)
            times.append(time.perf_counter() - start)
        rate = len(batch) / sorted(times)[1]
        print(f"  {name:<16} {rate:9.0f} img/s   {rate / ours:5.1f}x training (budget >= 5x: {'ok' if rate >= 5 * ours else 'UNDER'})")


if __name__ == "__main__":
    main()
