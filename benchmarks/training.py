"""Training-core budgets: trainer overhead, augmentation throughput, bf16 vs fp32.

    python benchmarks/training.py [--arch resnet20] [--images 2048] [--batch 128]

- trainer images/s against a bare PyTorch loop on the same model and data (budget: overhead <= 5%);
- images/s of each augmentation policy at 32 px (budget: >= 5x the trainer's resnet20 throughput), beside
  torchvision's per-image pipeline of the same policy (how kdgen augmented before issue 22);
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

    print("augmentation policies (batch of 512, 32 px): the batch at once, and torchvision per image")
    batch = x[:512]
    for name in POLICIES:
        aug = Augmentation(name, 32)
        rate = images_per_second(lambda seed: aug(batch, seed), len(batch))
        reference = per_image_pipeline(name, 32)
        line = f"  {name:<16} {rate:9.0f} img/s   {rate / ours:5.1f}x training (budget >= 5x: {'ok' if rate >= 5 * ours else 'UNDER'})"
        if reference is not None:
            old = images_per_second(lambda seed: per_image(reference, batch, seed), len(batch))
            line += f"   per image {old:8.0f} img/s, batched {rate / old:5.1f}x"
        print(line)


def images_per_second(augment, n: int) -> float:
    augment(0)  # warm-up: the first call of some operations is slow
    times = []
    for seed in (1, 2, 3):
        start = time.perf_counter()
        augment(seed)
        times.append(time.perf_counter() - start)
    return n / sorted(times)[1]


def per_image_pipeline(name: str, size: int):
    """torchvision's per-image transform of a policy (None for none), as kdgen built it before issue 22."""
    from torchvision.transforms import v2

    crop, flip = v2.RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True), v2.RandomHorizontalFlip()
    side = max(1, round(size * 16 / 224))
    steps = {
        "base": [crop],
        "weak": [crop, flip, v2.RandomRotation(15)],
        "strong": [crop, flip, v2.RandomRotation(15), v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10),
                   v2.RandomErasing(p=1.0, scale=((side / size) ** 2,) * 2, ratio=(1.0, 1.0), value=0)],
        "randaugment-2-9": [crop, flip, v2.RandAugment(2, 9)],
        "ladder-5": [crop, flip, v2.RandAugment(2, 15)],
    }.get(name)
    return v2.Compose(steps) if steps else None


def per_image(transform, images: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image from its own seed (the CPU generator re-seeded per image), as kdgen did before issue 22."""
    out = []
    with torch.random.fork_rng(devices=[]):
        for i, img in enumerate(images):
            torch.default_generator.manual_seed(seed * 100_003 + i)
            out.append(transform(img))
    return torch.stack(out)

if __name__ == "__main__":
    main()
