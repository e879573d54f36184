"""xkd's claims on the scorecard (Guo et al., arXiv 2503.24017), checked on this run's teachers and students.

Teachers and students of different arms are paired by dataset and seed (the seed that drew both), so a
difference compares models that share everything but the text arm.

- **X1** exact class names leak the label: T_x(exact) test top-1 >= 99% and its mean entropy <= 0.05 nats.
- **X2** WordNet-relaxed text boosts the student: student of T_m + T_x(relaxed) minus student of T_m alone > 0.
- **X3** noisy or exact text hinders distillation: for every such arm with students (exact, noise<p>,
  permute<p>), its student minus the T_x(relaxed) student < 0.
- **X4** relaxed text makes T_x rely more on the image while still using the text: Integrated
  Gradients' image share of T_x(relaxed) minus T_x(exact) > 0, and the text share of T_x(relaxed) > 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from kdgen.scorecard import Claim, Finding, Settings, mean_interval, combine, sign_verdict, threshold_verdict

STUDY = "xkd"
LEAK_TOP1, LEAK_ENTROPY = 99.0, 0.05
PAIR_UNIT = "seeds (dataset x seed, paired)"
CLAIMS = (
    Claim("X1", STUDY, "Exact class names as text input leak the label (T_x near 100% top-1, near-zero entropy).",
          "T_x(exact) test top-1 (%), and its mean entropy (nats)", "T_x seeds",
          f"holds when the top-1 interval lies at or above {LEAK_TOP1:g}% and the entropy interval at or below {LEAK_ENTROPY:g} nats"),
    Claim("X2", STUDY, "WordNet-relaxed text significantly boosts the student (T_m + T_x(relaxed) above T_m alone).",
          "student test top-1: T_m + T_x(relaxed) minus T_m alone (points)", PAIR_UNIT,
          "holds when the interval lies above 0"),
    Claim("X3", STUDY, "Noisy or overly precise (exact) text hinders distillation.",
          "student test top-1: T_m + T_x(exact or noisy) minus T_m + T_x(relaxed) (points)", PAIR_UNIT,
          "holds when every such arm's interval lies below 0"),
    Claim("X4", STUDY, "Relaxed text makes T_x rely more on the image while still using the text.",
          "IG image share: T_x(relaxed) minus T_x(exact) (and T_x(relaxed)'s text share)", PAIR_UNIT,
          "holds when the image-share difference lies above 0 and the text share above 0"),
)  # fmt: skip
_BY_ID = {c.id: c for c in CLAIMS}
HINDERING = ("exact", "noise", "permute")


def _arm(arm: object) -> str:
    return "" if not isinstance(arm, str) else arm


def paired(frame: pd.DataFrame, key: str, a: str, b: str, measure: str) -> np.ndarray:
    """``measure`` of rows whose ``key`` is ``a`` minus the rows whose ``key`` is ``b``, paired by dataset and seed."""
    left = frame[frame[key] == a].set_index(["dataset", "seed"])[measure]
    right = frame[frame[key] == b].set_index(["dataset", "seed"])[measure]
    both = left.to_frame("a").join(right.to_frame("b"), how="inner")
    return (both["a"] - both["b"]).to_numpy(float)


def paper_values(paper: pd.DataFrame, leakage: pd.DataFrame) -> dict[str, float]:
    """The published side: X1 the exact T_x's top-1, X2 the mean gain of T_m + T_x(relaxed) over T_m over
    every published setting, X3 the mean student top-1 of exact minus relaxed text."""
    exact = leakage[leakage["text"] == "exact_class_name"].set_index(["setting", "dataset"])
    relaxed = leakage[leakage["text"] == "wordnet_relaxed"].set_index(["setting", "dataset"])
    return {
        "X1": float(exact["tx_top1"].mean()),
        "X2": float((paper["Tm_plus_Tx_to_S"] - paper["visual_only_Tm_to_S"]).mean()),
        "X3": float((exact["student_top1"] - relaxed["student_top1"]).mean()),
    }


def findings(frames: Mapping[str, pd.DataFrame], params: Mapping[str, Any], settings: Settings) -> list[Finding]:
    """The four xkd findings from ``teachers`` and ``students`` (every dataset's teachers.csv and
    students.csv) and the published ``paper`` and ``leakage`` tables."""
    teachers, students = frames["teachers"], frames["students"].copy()
    students["arm"] = students["arm"].map(_arm)
    published = paper_values(frames["paper"], frames["leakage"])
    out = []

    c = _BY_ID["X1"]
    exact = teachers[teachers["arm"] == "exact"]
    top1 = mean_interval(exact["test_top1"], settings)
    entropy = mean_interval(exact["entropy_nats"], settings)
    verdict, why = combine([
        ("top-1", threshold_verdict(top1, LEAK_TOP1, above=True, unit="T_x seeds")),
        ("entropy", threshold_verdict(entropy, LEAK_ENTROPY, above=False, unit="T_x seeds")),
    ])  # fmt: skip
    out.append(Finding(c, verdict, why, top1, published=published["X1"], reference=LEAK_TOP1))

    c = _BY_ID["X2"]
    iv = mean_interval(paired(students, "student", "Tm_Tx_relaxed", "Tm", "test_top1"), settings)
    out.append(Finding(c, *sign_verdict(iv, +1, "seeds"), iv, published=published["X2"]))

    c = _BY_ID["X3"]
    arms = [a for a in dict.fromkeys(students["arm"]) if a and a.startswith(HINDERING) and a != "relaxed"]
    parts, first = [], None
    for arm in arms:
        diff = paired(students, "student", f"Tm_Tx_{arm}", "Tm_Tx_relaxed", "test_top1")
        iv = mean_interval(diff, settings)
        first = first or iv
        parts.append((arm, sign_verdict(iv, -1, "seeds")))
    if parts:
        verdict, why = combine(parts)
    else:
        verdict, why = "inconclusive", "no student of an exact or noisy T_x in this config"
    out.append(Finding(c, verdict, why, first, published=published["X3"]))

    c = _BY_ID["X4"]
    share = mean_interval(paired(teachers, "arm", "relaxed", "exact", "image_share"), settings)
    text = mean_interval(1.0 - teachers[teachers["arm"] == "relaxed"]["image_share"].to_numpy(float), settings)
    verdict, why = combine([("image share", sign_verdict(share, +1, "seeds")), ("text share", sign_verdict(text, +1, "seeds"))])
    out.append(Finding(c, verdict, why, share))
    return out
