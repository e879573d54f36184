"""lfkd's claims on the scorecard (Guo et al., 2025), checked on this run's own measures.

Strong and weak teachers are compared within a dataset. L1 compares teacher pairs: the IoU of two strong
teachers' attention maps against two weak teachers' (the first configured attention method), the pairs
resampled within each dataset and augmentation. L2-L4 compare students paired by dataset, student
augmentation and seed: the student of two strong teachers (``T1s_T2s_S<x>``) against the student of two
weak ones (``T1w_T2w_S<x>``) with the same seed, so a pair differs only in its teachers' augmentation.

- **L1** stronger augmentation lowers the teachers' attention IoU: mean IoU(strong pairs) - IoU(weak pairs) < 0.
- **L2** ... which reduces the student's overfitting: overfitting gap (augmented train top-1 - best
  validation top-1, the paper's definition) of the strong-teacher student minus the weak-teacher one < 0.
- **L3** ... and decreases its fidelity to the teachers: top-1 agreement with the teachers' mean logits,
  strong minus weak < 0.
- **L4** lower student-teacher mutual information comes with better generalisation: MI strong minus weak
  < 0 and test top-1 strong minus weak > 0, both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from kdgen.scorecard import Claim, Finding, Settings, bootstrap, combine, mean_interval, resample_within, sign_verdict

STUDY = "lfkd"
PAIR_UNIT = "student pairs (dataset x seed)"
CLAIMS = (
    Claim("L1", STUDY, "Stronger augmentation lowers the IoU of the teachers' attention maps.",
          "IoU(two strong teachers) - IoU(two weak teachers), mean over datasets", "teacher pairs (resampled within dataset and augmentation)",
          "holds when the interval lies below 0"),
    Claim("L2", STUDY, "... which reduces the student's overfitting.",
          "overfitting gap (aug. train - best val top-1), strong-teacher minus weak-teacher student", PAIR_UNIT,
          "holds when the interval lies below 0"),
    Claim("L3", STUDY, "... and decreases its fidelity to the teachers.",
          "fidelity (top-1 agreement with the teachers), strong-teacher minus weak-teacher student", PAIR_UNIT,
          "holds when the interval lies below 0"),
    Claim("L4", STUDY, "Lower student-teacher mutual information comes with better generalisation (student top-1).",
          "MI(student, teachers), strong-teacher minus weak-teacher student (and test top-1 the same)", PAIR_UNIT,
          "holds when the MI difference lies below 0 and the top-1 difference above 0"),
)  # fmt: skip
_BY_ID = {c.id: c for c in CLAIMS}


def paired_students(students: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset, student augmentation and seed that has both a weak-teacher (``T1w_T2w_S<x>``)
    and a strong-teacher (``T1s_T2s_S<x>``) student: their measures side by side (``<m>_weak``,
    ``<m>_strong``)."""
    students = students.reset_index(drop=True)
    parts = students["config"].str.extract(r"^T1(?P<t1>[ws])_T2(?P<t2>[ws])_S(?P<s>[ws])$")
    kd = pd.concat([students, parts], axis=1).dropna(subset=["t1"])
    kd = kd[kd["t1"] == kd["t2"]]
    keys = ["dataset", "s", "seed"]
    weak = kd[kd["t1"] == "w"].set_index(keys)
    strong = kd[kd["t1"] == "s"].set_index(keys)
    return weak.add_suffix("_weak").join(strong.add_suffix("_strong"), how="inner").reset_index()


def _difference(pairs: pd.DataFrame, measure: str) -> np.ndarray:
    return (pairs[f"{measure}_strong"] - pairs[f"{measure}_weak"]).to_numpy(float)


def _iou_difference(pairs: pd.DataFrame, column: str) -> float:
    """Mean over datasets of the mean strong-pair IoU minus the mean weak-pair IoU."""
    means = pairs.groupby(["dataset", "aug"])[column].mean().unstack("aug")
    if "weak" not in means or "strong" not in means:
        return math.nan
    return float((means["strong"] - means["weak"]).mean())


def _pairs_within_cells(pairs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return resample_within(pairs, ["dataset", "aug"], rng)


def findings(frames: Mapping[str, pd.DataFrame], params: Mapping[str, Any], settings: Settings) -> list[Finding]:
    """The four lfkd findings from ``students`` and ``pairs`` (every dataset's students.csv and
    teacher_pairs.csv); ``params['attention']`` lists the attention methods, the first one decides L1."""
    students, pairs = frames["students"], frames["pairs"]
    method = params["attention"][0]
    out = []

    c = _BY_ID["L1"]
    column = f"iou_{method}"
    cells = pairs[pairs["aug"].isin(["weak", "strong"])]
    # one unit, the pool of pairs: the pairs are resampled within each dataset and augmentation
    iv = bootstrap([cells], lambda units: _iou_difference(units[0], column), settings, settings.rng("L1"), _pairs_within_cells, outer=False)
    iv = replace(iv, n=int(cells.groupby(["dataset", "aug"]).size().min()) if len(cells) else 0)
    verdict, why = sign_verdict(iv, -1, "teacher pairs per dataset and augmentation")
    out.append(Finding(c, verdict, f"{why} ({method})", iv))

    paired = paired_students(students)
    for cid, measure, sign in (("L2", "overfit_aug", -1), ("L3", "fidelity", -1)):
        iv = mean_interval(_difference(paired, measure) if len(paired) else [], settings)
        out.append(Finding(_BY_ID[cid], *sign_verdict(iv, sign, "student pairs"), iv))

    c = _BY_ID["L4"]
    mi = mean_interval(_difference(paired, "mi") if len(paired) else [], settings)
    top1 = mean_interval(_difference(paired, "test_top1") if len(paired) else [], settings)
    verdict, why = combine([("MI", sign_verdict(mi, -1, "student pairs")), ("test top-1", sign_verdict(top1, +1, "student pairs"))])
    out.append(Finding(c, verdict, why, mi))
    return out
