"""Compact GANs that train on a CPU at small sizes and scale up by config.

Two families, re-implemented compactly (not the official code):

- **BigGAN-style** (:class:`BigGANGenerator`, :class:`BigGANDiscriminator`): residual up/down blocks,
  spectral normalisation in the discriminator (and, by default, in the generator), (conditional) batch
  norm in the generator with per-class gains and biases, a projection discriminator for the
  class-conditional case, hinge loss, ``d_steps`` discriminator updates per generator update and the
  paper's lr_d = 4 x lr_g. The discriminator's widths double with depth from ``d_width`` and its last
  4 x 4 map is flattened into the linear and projection heads (BigGAN sums it; at 8 to 32 px the sum
  throws away the position information a small discriminator needs to tell a copy from a blend);
  ``d_mbstd`` adds StyleGAN's minibatch standard-deviation feature before the last block.
  ``aux_class_weight`` > 0 adds an auxiliary classifier to the discriminator (AC-GAN's term, Odena et al.
  2017, as the projection-plus-classifier GANs of the ReACGAN/ContraGAN line use it): D also learns to
  classify the real images, G to make its samples classified as their intended class. 0 (the default)
  is the pure projection discriminator of BigGAN.
- **StyleGAN2-style** (:class:`StyleGAN2Generator`, :class:`StyleGAN2Discriminator`): a mapping network
  z -> w, a learned constant input, modulated convolutions with weight demodulation, per-pixel noise
  inputs, skip to-RGB outputs; a residual discriminator with a minibatch standard-deviation feature;
  the non-saturating logistic loss with an R1 penalty on real images. (Equalised learning rates,
  style mixing and path-length regularisation are left out.)

Both keep an exponential moving average (EMA) of the generator weights; samples come from the EMA.
Images are float tensors in [-1, 1], (N, C, H, W).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm as sn


@dataclass
class GANConfig:
    family: str = "biggan"  # biggan | stylegan2
    image_size: int = 32
    channels: int = 3
    num_classes: int = 0  # 0: unconditional
    z_dim: int = 64
    width: int = 32  # base channel width
    w_dim: int = 64  # stylegan2 mapping output
    mapping_layers: int = 4
    steps: int = 1000
    batch_size: int = 32
    lr_g: float = 5e-5  # BigGAN's ratio: lr_d = 4 x lr_g
    lr_d: float = 2e-4
    d_steps: int = 1  # discriminator updates per generator update
    d_width: int = 0  # base width of the discriminator (0: width)
    d_mbstd: bool = False  # biggan: minibatch std feature before the discriminator's last block
    g_spectral_norm: bool = True  # biggan: spectral norm in the generator
    bn_stats: str = "standing"  # biggan: G's batch-norm statistics at sampling: running | standing
    aux_class_weight: float = 0.0  # biggan, class-conditional: weight of the auxiliary classifier loss
    class_balanced: bool = False  # class-conditional: real batches drawn class-balanced (tail classes as often as the head)
    truncation: float = 0.0  # sampling: BigGAN's truncation trick, latents redrawn until |z| < truncation (0: none)
    betas: tuple[float, float] = (0.0, 0.99)
    ema: float = 0.999
    r1_gamma: float = 1.0  # stylegan2
    r1_every: int = 4  # lazy R1 (stylegan2)
    extra: dict = field(default_factory=dict)

    @property
    def blocks(self) -> int:
        n = int(round(math.log2(self.image_size / 4)))
        if 4 * 2**n != self.image_size or n < 1:
            raise ValueError(f"image_size must be 4 * 2^k with k >= 1, got {self.image_size}")
        return n

    @property
    def disc_width(self) -> int:
        return self.d_width or self.width


def _sn(module: nn.Module, on: bool = True) -> nn.Module:
    return sn(module) if on else module


# ----------------------------------------------------------------------------- BigGAN-style


class ConditionalBatchNorm(nn.Module):
    """Batch norm whose gain and bias come from the class (or are learned constants when unconditional)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        n = max(num_classes, 1)
        self.gain = nn.Embedding(n, channels)
        self.bias = nn.Embedding(n, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


class GBlock(nn.Module):
    def __init__(self, cin: int, cout: int, num_classes: int, spectral_norm: bool = True) -> None:
        super().__init__()
        self.bn1 = ConditionalBatchNorm(cin, num_classes)
        self.conv1 = _sn(nn.Conv2d(cin, cout, 3, padding=1), spectral_norm)
        self.bn2 = ConditionalBatchNorm(cout, num_classes)
        self.conv2 = _sn(nn.Conv2d(cout, cout, 3, padding=1), spectral_norm)
        self.skip = _sn(nn.Conv2d(cin, cout, 1), spectral_norm)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2.0)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), y)))
        return h + self.skip(F.interpolate(x, scale_factor=2.0))


class BigGANGenerator(nn.Module):
    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        widths = [cfg.width * 2 ** max(cfg.blocks - i, 0) for i in range(cfg.blocks + 1)]
        on = cfg.g_spectral_norm
        # class-conditional: a shared class embedding joins z at the input (BigGAN's shared embedding),
        # besides the per-class batch-norm gains and biases of every block
        self.class_embed = nn.Embedding(cfg.num_classes, cfg.z_dim) if cfg.num_classes else None
        self.linear = _sn(nn.Linear(cfg.z_dim * (2 if cfg.num_classes else 1), widths[0] * 16), on)
        self.blocks = nn.ModuleList(GBlock(widths[i], widths[i + 1], cfg.num_classes, on) for i in range(cfg.blocks))
        self.out_bn = nn.BatchNorm2d(widths[-1])
        self.out = _sn(nn.Conv2d(widths[-1], cfg.channels, 3, padding=1), on)
        self.widths = widths

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        y = torch.zeros(len(z), dtype=torch.long, device=z.device) if y is None else y
        if self.class_embed is not None:
            z = torch.cat([z, self.class_embed(y)], 1)
        h = self.linear(z).view(len(z), self.widths[0], 4, 4)
        for block in self.blocks:
            h = block(h, y)
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


class DBlock(nn.Module):
    def __init__(self, cin: int, cout: int, downsample: bool, first: bool = False) -> None:
        super().__init__()
        self.conv1 = sn(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = sn(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = sn(nn.Conv2d(cin, cout, 1))
        self.downsample, self.first = downsample, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        s = self.skip(x)
        if self.downsample:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class BigGANDiscriminator(nn.Module):
    """Residual down blocks with widths ``d_width * 2^i`` (i = 0 .. blocks), the last one at 4 x 4 without
    downsampling; the 4 x 4 map is flattened into a linear output and, when class-conditional, a
    projection term (the inner product of a class embedding with the same flattened features)."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        dw = cfg.disc_width
        widths = [cfg.channels] + [dw * 2**i for i in range(cfg.blocks + 1)]
        self.mbstd = cfg.d_mbstd
        cin = [w + (1 if (self.mbstd and i == cfg.blocks) else 0) for i, w in enumerate(widths[:-1])]
        self.blocks = nn.ModuleList(
            DBlock(cin[i], widths[i + 1], downsample=i < cfg.blocks, first=i == 0) for i in range(cfg.blocks + 1)
        )
        features = widths[-1] * 16
        self.linear = sn(nn.Linear(features, 1))
        self.embed = sn(nn.Embedding(cfg.num_classes, features)) if cfg.num_classes > 0 else None
        aux = cfg.num_classes > 0 and cfg.aux_class_weight > 0
        self.classifier = nn.Linear(features, cfg.num_classes) if aux else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, with_classes: bool = False):
        """Real/fake scores (N,); with ``with_classes`` also the auxiliary classifier's logits (N, K)."""
        h = x
        for i, block in enumerate(self.blocks):
            if self.mbstd and i == len(self.blocks) - 1:
                std = h.std(dim=0, unbiased=False).mean().expand(len(h), 1, *h.shape[2:])
                h = torch.cat([h, std], 1)
            h = block(h)
        h = F.relu(h).flatten(1)
        out = self.linear(h).squeeze(1)
        if self.embed is not None and y is not None:
            out = out + (self.embed(y) * h).sum(1)  # projection discriminator
        if with_classes:
            if self.classifier is None:
                raise ValueError("this discriminator has no auxiliary classifier (aux_class_weight is 0 or the GAN is unconditional)")
            return out, self.classifier(h)
        return out


# ----------------------------------------------------------------------------- StyleGAN2-style


class ModulatedConv(nn.Module):
    """3x3 (or 1x1) convolution whose weights are scaled per sample by a style, then demodulated."""

    def __init__(self, cin: int, cout: int, w_dim: int, kernel: int = 3, demodulate: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel) / math.sqrt(cin * kernel * kernel))
        self.affine = nn.Linear(w_dim, cin)
        nn.init.ones_(self.affine.bias)
        self.demodulate, self.padding = demodulate, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, cin, h, wd = x.shape
        style = self.affine(w)  # (n, cin)
        weight = self.weight[None] * style[:, None, :, None, None]  # (n, cout, cin, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        out = F.conv2d(x.reshape(1, n * cin, h, wd), weight.reshape(-1, cin, *weight.shape[-2:]), padding=self.padding, groups=n)
        return out.reshape(n, -1, h, wd)


class StyleLayer(nn.Module):
    def __init__(self, cin: int, cout: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(cin, cout, w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = self.conv(x, w)
        noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        return F.leaky_relu(x + self.noise_strength * noise + self.bias[None, :, None, None], 0.2)


class StyleGAN2Generator(nn.Module):
    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        dim = cfg.z_dim + (cfg.z_dim if cfg.num_classes else 0)
        for i in range(cfg.mapping_layers):
            layers += [nn.Linear(dim if i == 0 else cfg.w_dim, cfg.w_dim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        self.class_embed = nn.Embedding(cfg.num_classes, cfg.z_dim) if cfg.num_classes else None
        widths = [cfg.width * 2 ** max(cfg.blocks - i, 0) for i in range(cfg.blocks + 1)]
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))
        self.first = StyleLayer(widths[0], widths[0], cfg.w_dim)
        self.rgb = nn.ModuleList([ModulatedConv(widths[0], cfg.channels, cfg.w_dim, kernel=1, demodulate=False)])
        self.ups = nn.ModuleList()
        for i in range(cfg.blocks):
            self.ups.append(nn.ModuleList([StyleLayer(widths[i], widths[i + 1], cfg.w_dim), StyleLayer(widths[i + 1], widths[i + 1], cfg.w_dim)]))
            self.rgb.append(ModulatedConv(widths[i + 1], cfg.channels, cfg.w_dim, kernel=1, demodulate=False))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)
        if self.class_embed is not None:
            y = torch.zeros(len(z), dtype=torch.long, device=z.device) if y is None else y
            z = torch.cat([z, self.class_embed(y)], 1)
        w = self.mapping(z)
        x = self.first(self.const.expand(len(z), -1, -1, -1), w)
        img = self.rgb[0](x, w)
        for (conv1, conv2), to_rgb in zip(self.ups, self.rgb[1:]):
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = conv2(conv1(x, w), w)
            img = F.interpolate(img, scale_factor=2.0, mode="bilinear", align_corners=False) + to_rgb(x, w)
        return torch.tanh(img)


class StyleGAN2Discriminator(nn.Module):
    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        widths = [cfg.width * 2 ** min(i, cfg.blocks) for i in range(cfg.blocks + 1)]
        self.stem = nn.Conv2d(cfg.channels, widths[0], 1)
        self.blocks = nn.ModuleList()
        for i in range(cfg.blocks):
            self.blocks.append(
                nn.ModuleDict(
                    {
                        "conv1": nn.Conv2d(widths[i], widths[i], 3, padding=1),
                        "conv2": nn.Conv2d(widths[i], widths[i + 1], 3, padding=1),
                        "skip": nn.Conv2d(widths[i], widths[i + 1], 1, bias=False),
                    }
                )
            )
        self.final = nn.Conv2d(widths[-1] + 1, widths[-1], 3, padding=1)
        self.linear = nn.Linear(widths[-1] * 16, widths[-1])
        self.out = nn.Linear(widths[-1], 1)
        self.embed = nn.Embedding(cfg.num_classes, widths[-1]) if cfg.num_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.leaky_relu(self.stem(x), 0.2)
        for b in self.blocks:
            r = F.leaky_relu(b["conv2"](F.leaky_relu(b["conv1"](h), 0.2)), 0.2)
            h = (F.avg_pool2d(r, 2) + F.avg_pool2d(b["skip"](h), 2)) / math.sqrt(2)
        std = h.std(dim=0, unbiased=False).mean().expand(len(h), 1, *h.shape[2:])  # minibatch std
        h = F.leaky_relu(self.final(torch.cat([h, std], 1)), 0.2)
        h = F.leaky_relu(self.linear(h.flatten(1)), 0.2)
        out = self.out(h).squeeze(1)
        if self.embed is not None and y is not None:
            out = out + (self.embed(y) * h).sum(1)
        return out


FAMILIES = {"biggan": (BigGANGenerator, BigGANDiscriminator), "stylegan2": (StyleGAN2Generator, StyleGAN2Discriminator)}


def build_gan(cfg: GANConfig) -> tuple[nn.Module, nn.Module]:
    if cfg.family not in FAMILIES:
        raise ValueError(f"unknown GAN family {cfg.family!r}; known: {sorted(FAMILIES)}")
    g_cls, d_cls = FAMILIES[cfg.family]
    return g_cls(cfg), d_cls(cfg)


def d_loss(family: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    if family == "biggan":  # hinge
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # logistic


def g_loss(family: str, fake_logits: torch.Tensor) -> torch.Tensor:
    return -fake_logits.mean() if family == "biggan" else F.softplus(-fake_logits).mean()


def r1_penalty(d: nn.Module, real: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(d(real, y).sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- ema + (1 - decay) (model - ema) for the parameters, a copy of the buffers (batch-norm
    statistics), each as one foreach call over all tensors."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)
    if buffers := list(ema.buffers()):  # none in the StyleGAN2-style generator
        torch._foreach_copy_(buffers, list(model.buffers()))


def make_ema(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).eval().requires_grad_(False)
