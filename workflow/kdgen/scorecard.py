"""The reproduction scorecard: every published claim of the four studies, the statistic this run computes
for it from the study's own tables, a confidence interval over the claim's unit of replication, and a
verdict by a rule fixed before any number is looked at, the same for every config.

The rules (:func:`sign_verdict`, :func:`threshold_verdict`, :func:`combine`):

- an *effect* claim (a difference, a slope, a correlation with the paper's sign): **holds** when the
  interval excludes zero on the paper's side, **fails** when it lies wholly on the other side,
  **inconclusive** when it spans zero;
- a *threshold* claim (the paper names a level: "near 100% top-1", "predicts the held-out curve"):
  **holds** when the whole interval is on the claimed side, **fails** when the whole interval is on the
  other side, **inconclusive** otherwise;
- a claim of several parts holds when every part holds and fails when any part fails;
- any claim is **inconclusive** with fewer replicates than it needs to form an interval (``min_units``,
  3 unless the claim says more: a percentile bootstrap over two units has at most three distinct
  resamples and is not an interval), and says how many it had;
- a claim whose study was not built in this run is **not built**.

Intervals: a mean over replicate units (paired differences, seeds) gets Student's t interval, exact
where the differences are normal; every other statistic (a rank correlation, a spread, a difference of
cell means) a percentile bootstrap over its replicate unit, seeded from the config, which is too narrow
with a handful of units (read a bootstrap interval over 3-5 units as optimistic). A rank correlation
over n units cannot exclude zero at 95% below n = 5: its smallest two-sided exact p-value with four is
2/24. The study slices declare their claims
(``kdgen/<study>/claims.py``) with these pieces; this module knows no study. Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

HOLDS, FAILS, INCONCLUSIVE, NOT_BUILT = "holds", "fails", "inconclusive", "not built"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, NOT_BUILT)
MIN_UNITS = 3
COLUMNS = (
    "claim", "study", "variant", "statistic", "estimate", "low", "high", "confidence", "n", "unit",
    "reference", "published", "verdict", "why", "scale", "paper", "rule",
)  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """A published claim as the scorecard checks it: ``id`` (R1 ... G2), the ``study``, the paper's
    ``words``, the ``statistic`` computed for it, its replicate ``unit`` and the verdict ``rule`` in words."""

    id: str
    study: str
    words: str
    statistic: str
    unit: str
    rule: str


@dataclass(frozen=True)
class Settings:
    """How intervals are formed: ``n_boot`` resamples, the bootstrap ``seed``, the ``confidence`` level."""

    n_boot: int = 2000
    seed: int = 0
    confidence: float = 0.95

    def rng(self, claim: str, variant: str = "") -> np.random.Generator:
        """A generator of its own for each claim and variant, so adding a claim changes no other interval."""
        key = [ord(ch) for ch in f"{claim}/{variant}"]
        return np.random.default_rng([self.seed, *key])


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int


@dataclass
class Finding:
    """One row of the scorecard: a claim (and ``variant``: a generator, a view) with its estimate, interval,
    number of replicates, published value, verdict and the reason for it."""

    claim: Claim
    verdict: str
    why: str
    interval: Interval | None = None
    variant: str = ""
    published: float = math.nan
    reference: float = 0.0  # the line the rule compares with: 0 for an effect, the threshold

    def row(self, settings: Settings, scale: str) -> dict[str, Any]:
        iv = self.interval
        return {
            "claim": self.claim.id,
            "study": self.claim.study,
            "variant": self.variant,
            "statistic": self.claim.statistic,
            "estimate": iv.estimate if iv else math.nan,
            "low": iv.low if iv else math.nan,
            "high": iv.high if iv else math.nan,
            "confidence": settings.confidence,
            "n": iv.n if iv else 0,
            "unit": self.claim.unit,
            "reference": self.reference,
            "published": self.published,
            "verdict": self.verdict,
            "why": self.why,
            "scale": scale,
            "paper": self.claim.words,
            "rule": self.claim.rule,
        }


# --- intervals -------------------------------------------------------------------------------------------


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval of bootstrap ``samples`` (NaN resamples, e.g. a fit that failed, left out;
    NaN bounds when more than a tenth of them failed)."""
    samples = np.asarray(samples, dtype=float)
    ok = samples[np.isfinite(samples)]
    if ok.size == 0 or ok.size < 0.9 * samples.size:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(ok, [tail, 100.0 - tail])
    return float(low), float(high)


def mean_interval(values: Sequence[float], settings: Settings) -> Interval:
    """The mean of ``values`` (one per replicate unit, e.g. paired differences) and its Student-t
    interval: exact for normal differences and, unlike a percentile bootstrap, not too narrow with a
    handful of units (with 4, the bootstrap's interval is about half as wide)."""
    from scipy.stats import t as student_t

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(v.mean())
    if v.size < 2:
        return Interval(mean, math.nan, math.nan, int(v.size))
    half = float(student_t.ppf(0.5 + settings.confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return Interval(mean, mean - half, mean + half, int(v.size))


def bootstrap(
    units: Sequence[Any],
    statistic: Callable[[list[Any]], float],
    settings: Settings,
    rng: np.random.Generator,
    inner: Callable[[Any, np.random.Generator], Any] | None = None,
    outer: bool = True,
) -> Interval:
    """``statistic`` of the list of ``units`` and its percentile bootstrap interval: the units drawn with
    replacement (``outer``; without it they stay as they are) and, with ``inner``, each unit resampled
    inside (a two-level bootstrap: the seeds of each size of a curve, say). The estimate is the statistic
    of the units as they are."""
    units = list(units)
    if not units:
        return Interval(math.nan, math.nan, math.nan, 0)
    estimate = float(statistic(units))
    samples = np.empty(settings.n_boot)
    for b in range(settings.n_boot):
        drawn = [units[i] for i in rng.integers(0, len(units), len(units))] if outer else units
        samples[b] = statistic([inner(u, rng) for u in drawn] if inner else drawn)
    low, high = percentile_interval(samples, settings.confidence)
    return Interval(estimate, low, high, len(units))


@dataclass(frozen=True)
class Cells:
    """One replicate unit (a GAN x dataset curve, a dataset) as cells (its sizes, its one SSIM value)
    with the replicate values of each (its seeds): what a two-level bootstrap resamples."""

    keys: np.ndarray
    values: tuple[np.ndarray, ...]

    def means(self) -> np.ndarray:
        return np.array([v.mean() if v.size else math.nan for v in self.values])

    def resampled(self, rng: np.random.Generator) -> Cells:
        """The seeds of every cell drawn with replacement, each cell keeping its count."""
        return Cells(self.keys, tuple(v[rng.integers(0, v.size, v.size)] if v.size else v for v in self.values))


def as_cells(frame: pd.DataFrame, unit: Sequence[str], cell: str, value: str) -> list[Cells]:
    """``frame`` as one :class:`Cells` per group of ``unit``, cells by ``cell`` (sorted), replicate
    values of ``value`` (NaN dropped)."""
    out = []
    for _, g in frame.groupby(list(unit), sort=True):
        keys, values = [], []
        for k, c in g.groupby(cell, sort=True):
            keys.append(k)
            v = c[value].to_numpy(float)
            values.append(v[np.isfinite(v)])
        out.append(Cells(np.asarray(keys), tuple(values)))
    return out


def resample_within(frame: pd.DataFrame, by: Sequence[str], rng: np.random.Generator) -> pd.DataFrame:
    """Rows of ``frame`` drawn with replacement inside each group of ``by`` (the seeds of one cell), each
    group keeping its size: the inner level of a two-level bootstrap."""
    picks = [idx[rng.integers(0, len(idx), len(idx))] for idx in frame.groupby(list(by), sort=False).indices.values()]
    return frame.iloc[np.concatenate(picks)] if picks else frame


# --- verdicts --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.3g}"


def too_few(iv: Interval, min_units: int, unit: str) -> str:
    """The reason a claim has no interval (empty when it has enough units): how many it had and needed."""
    if iv.n < min_units:
        return f"{iv.n} {unit} (needs at least {min_units} for an interval)"
    if not (math.isfinite(iv.low) and math.isfinite(iv.high)):
        return f"no interval could be formed from {iv.n} {unit} (the statistic is undefined in most resamples)"
    return ""


def sign_verdict(iv: Interval, sign: int, unit: str, min_units: int = MIN_UNITS) -> tuple[str, str]:
    """An effect claim: ``sign`` +1 (the paper's effect is positive) or -1."""
    short = too_few(iv, min_units, unit)
    if short:
        return INCONCLUSIVE, short
    span = f"[{_fmt(iv.low)}, {_fmt(iv.high)}] over {iv.n} {unit}"
    lo, hi = (iv.low, iv.high) if sign > 0 else (-iv.high, -iv.low)
    if lo > 0:
        return HOLDS, f"interval {span} excludes 0 on the paper's side"
    if hi < 0:
        return FAILS, f"interval {span} lies on the other side of 0"
    return INCONCLUSIVE, f"interval {span} spans 0"


def threshold_verdict(iv: Interval, threshold: float, above: bool, unit: str, min_units: int = MIN_UNITS) -> tuple[str, str]:
    """A threshold claim: the statistic should be above (``above``) or below ``threshold``."""
    short = too_few(iv, min_units, unit)
    if short:
        return INCONCLUSIVE, short
    span = f"[{_fmt(iv.low)}, {_fmt(iv.high)}] over {iv.n} {unit}"
    side = ">=" if above else "<="
    on_side = iv.low >= threshold if above else iv.high <= threshold
    off_side = iv.high < threshold if above else iv.low > threshold
    if on_side:
        return HOLDS, f"interval {span} is wholly {side} {_fmt(threshold)}"
    if off_side:
        return FAILS, f"interval {span} is wholly on the other side of {_fmt(threshold)}"
    return INCONCLUSIVE, f"interval {span} contains {_fmt(threshold)}"


def combine(parts: Iterable[tuple[str, tuple[str, str]]]) -> tuple[str, str]:
    """A claim of several named parts: holds when all hold, fails when any fails, else inconclusive."""
    parts = list(parts)
    verdicts = [v for _, (v, _) in parts]
    if any(v == FAILS for v in verdicts):
        verdict = FAILS
    elif all(v == HOLDS for v in verdicts):
        verdict = HOLDS
    else:
        verdict = INCONCLUSIVE
    return verdict, "; ".join(f"{name}: {v} ({why})" for name, (v, why) in parts)


def rank_correlation_min_units(confidence: float) -> int:
    """The fewest units with which an exact two-sided test of a rank correlation can reject zero at
    ``confidence`` (2/n! <= 1 - confidence): 5 at 95%."""
    n = 2
    while 2.0 / math.factorial(n) > 1.0 - confidence:
        n += 1
    return n


# --- the card ---------------------------------------------------------------------------------------------


def not_built(claims: Iterable[Claim], why: str) -> list[Finding]:
    return [Finding(c, NOT_BUILT, why) for c in claims]


def scorecard_table(findings: Iterable[Finding], settings: Settings, scale: str, order: Sequence[str]) -> pd.DataFrame:
    """One row per claim and variant, in the order of the claim ids ``order``."""
    rows = [f.row(settings, scale) for f in findings]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    rank = {c: i for i, c in enumerate(order)}
    return table.sort_values("claim", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def number_text(x: object) -> str:
    """A number of the card as text (3 significant digits), empty for a missing one."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(v) else f"{v:.3g}"


def estimate_text(estimate: object, low: object, high: object) -> str:
    """``estimate [low, high]``, the estimate alone without an interval, empty without an estimate."""
    est = number_text(estimate)
    return f"{est} [{number_text(low)}, {number_text(high)}]" if est and number_text(low) else est


def scorecard_markdown(table: pd.DataFrame) -> str:
    """The scorecard as a Markdown table: claim, variant, statistic, estimate [interval], n, published,
    verdict, why."""
    lines = [
        "| claim | variant | statistic | estimate [95% interval] | n | published | verdict | why |",
        "|---|---|---|---|---:|---:|---|---|",
    ]
    for r in table.itertuples(index=False):
        est = estimate_text(r.estimate, r.low, r.high)
        lines.append(
            f"| {r.claim} | {r.variant} | {r.statistic} | {est} | {r.n} | {number_text(r.published)} | **{r.verdict}** | {r.why} |"
        )
    return "\n".join(lines) + "\n"


def scorecard_document(table: pd.DataFrame) -> str:
    """The Markdown file of the scorecard: its scale and verdict counts, the table, and each claim's words
    and rule."""
    counts = ", ".join(f"{n} {v}" for v, n in verdict_counts(table).items() if n)
    scale = ", ".join(dict.fromkeys(table["scale"].astype(str)))
    lines = [f"# Reproduction scorecard ({scale})", "", f"{len(table)} rows: {counts}.", "", scorecard_markdown(table), "## The claims and their rules", ""]
    for r in table.drop_duplicates("claim").itertuples(index=False):
        lines.append(f"- **{r.claim}** ({r.study}) {r.paper} Statistic: {r.statistic}; unit: {r.unit}; rule: {r.rule}.")
    return "\n".join(lines) + "\n"


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    return {v: int((table["verdict"] == v).sum()) for v in VERDICTS}


def settings_from_config(block: Mapping[str, Any]) -> Settings:
    return Settings(n_boot=int(block["bootstrap"]), seed=int(block["seed"]), confidence=float(block["confidence"]))
