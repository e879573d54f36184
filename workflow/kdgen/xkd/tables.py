"""The tables of the xkd study (pandas only): the main student table, the leakage table (exact class name
vs WordNet-relaxed text) and the mix and noise sweeps, each beside the published numbers where the paper
has them.

Inputs are the frames the workflow writes (one file per dataset, concatenated):

- teachers: ``dataset, arm, seed, val_top1, test_top1, entropy_nats, image_share, ig_delta``, one row
  per crossmodal teacher T_x;
- students: ``dataset, student, arm, seed, val_top1, test_top1``; ``student`` is ``noKD``, ``Tm`` (image
  teachers only) or ``Tm_Tx_<arm>`` (the image teachers and the T_x of that arm).

Arms (see :mod:`kdgen.xkd.crossmodal`): ``exact``, ``relaxed``, ``mix<x>`` (x% of samples get the exact
class name, the others relaxed text), ``noise<p>`` / ``permute<p>`` (p% of samples get a wrong class's
name), ``image`` and ``text`` (one half of the teacher's input only).

Every table has mean and sample std over seeds as ``<measure>_mean`` / ``<measure>_std`` (the std NaN
for one seed, and for the paper's rows, which have no std); :func:`kdgen.tables.mean_std_markdown` is its readable view.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kdgen.tables import mean_std, mean_std_markdown

THIS_RUN = "this run"
AXES = ("relaxed_percent", "noise_percent")
PAPER_TEXT = {"exact_class_name": "exact", "wordnet_relaxed": "relaxed"}

MAIN_COLUMNS = ["source", "dataset", "student", "n", "test_top1_mean", "test_top1_std", "val_top1_mean", "val_top1_std", "gain_vs_Tm"]
LEAKAGE_MEASURES = ["tx_entropy_nats", "tx_top1", "student_top1"]
SWEEP_MEASURES = ["image_share", "tx_top1", "tx_entropy_nats", "student_top1"]

_ARM = re.compile(r"(mix|noise|permute)(\d+)")


def _parse(arm: str) -> tuple[str, int | None]:
    """``(kind, percent)`` of an arm name; a ValueError for anything that is not an arm."""
    if arm in ("exact", "relaxed", "image", "text"):
        return arm, None
    m = _ARM.fullmatch(str(arm))
    if m is None or not 0 <= int(m.group(2)) <= 100:
        raise ValueError(f"unknown xkd arm {arm!r}; expected exact, relaxed, image, text, mix<x>, noise<p> or permute<p> (0..100)")
    return m.group(1), int(m.group(2))


def arm_axes(arm: str) -> dict[str, float | None]:
    """Where ``arm`` lies on the two sweeps: ``relaxed_percent`` (share of samples with relaxed text) and
    ``noise_percent`` (share of samples with a wrong class name); None off that sweep.

    ``exact`` is the origin of both (relaxed 0, noise 0); ``relaxed`` is relaxed 100; ``mix<x>`` is
    relaxed 100 - x; ``noise<p>`` and ``permute<p>`` are noise p; ``image`` and ``text`` are on neither."""
    kind, percent = _parse(arm)
    if kind == "exact":
        return {"relaxed_percent": 0.0, "noise_percent": 0.0}
    if kind == "relaxed":
        return {"relaxed_percent": 100.0, "noise_percent": None}
    if kind == "mix":
        return {"relaxed_percent": float(100 - percent), "noise_percent": None}
    if kind in ("noise", "permute"):
        return {"relaxed_percent": None, "noise_percent": float(percent)}
    return {"relaxed_percent": None, "noise_percent": None}


def arm_order(arm: str) -> tuple[int, int]:
    """A sort key for arms: exact, relaxed, the mixes, noise, permute (each by percent), image, text."""
    kind, percent = _parse(arm)
    rank = {"exact": 0, "relaxed": 1, "mix": 2, "noise": 3, "permute": 4, "image": 5, "text": 6}[kind]
    return rank, percent or 0


def _arm_of(student: str, arm: object) -> str:
    """The T_x arm of a student row: its ``arm`` column, else the suffix of ``Tm_Tx_<arm>``."""
    text = "" if arm is None or (isinstance(arm, float) and np.isnan(arm)) else str(arm)
    if not text and str(student).startswith("Tm_Tx_"):
        text = str(student)[len("Tm_Tx_") :]
    return text


def student_label(student: str, arm: object = None) -> str:
    """The readable name of a student: ``no KD``, ``T_m -> S`` or ``T_m + T_x(<arm>) -> S``."""
    if student == "noKD":
        return "no KD"
    if student == "Tm":
        return "T_m -> S"
    if str(student).startswith("Tm_Tx_"):
        return f"T_m + T_x({_arm_of(student, arm)}) -> S"
    raise ValueError(f"unknown xkd student {student!r}; expected noKD, Tm or Tm_Tx_<arm>")


def _student_order(student: str, arm: str) -> tuple[int, int, int]:
    if student == "noKD":
        return 0, 0, 0
    if student == "Tm":
        return 1, 0, 0
    return (2, *arm_order(arm))


def _first_seen(values: pd.Series) -> dict[str, int]:
    return {v: i for i, v in enumerate(dict.fromkeys(values))}


def _teacher_measures(teachers: pd.DataFrame) -> pd.DataFrame:
    return teachers.rename(columns={"test_top1": "tx_top1", "entropy_nats": "tx_entropy_nats"})


def _means(table: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """:func:`mean_std`'s ``<c>`` columns renamed ``<c>_mean``."""
    return table.rename(columns={c: f"{c}_mean" for c in measures})


def _with_arm(students: pd.DataFrame) -> pd.DataFrame:
    return students.assign(arm=[_arm_of(s, a) for s, a in zip(students["student"], students["arm"])])


def _tx_students(students: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of the test top-1 of each ``Tm_Tx_<arm>`` student, as ``student_top1``."""
    tx = _with_arm(students)
    tx = tx[tx["student"].astype(str).str.startswith("Tm_Tx_")].rename(columns={"test_top1": "student_top1"})
    return mean_std(tx, ["dataset", "arm"], ["student_top1"]).rename(columns={"n": "n_students"})


def main_table(students: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Student top-1 per dataset: this run's students (no KD, T_m, T_m + T_x of each arm; mean and std
    over seeds, and the gain of the mean test top-1 over T_m's), then the paper's visual-only and
    T_m + T_x(relaxed) students per setting and dataset (no n or std; their gain filled)."""
    students = _with_arm(students)
    table = _means(mean_std(students, ["dataset", "student", "arm"], ["test_top1", "val_top1"]), ["test_top1", "val_top1"])
    datasets = _first_seen(table["dataset"])
    order = [(datasets[d], *_student_order(s, a)) for d, s, a in zip(table["dataset"], table["student"], table["arm"])]
    table = table.iloc[sorted(range(len(table)), key=lambda i: order[i])].reset_index(drop=True)
    tm = table[table["student"] == "Tm"].set_index("dataset")["test_top1_mean"]
    table["gain_vs_Tm"] = table["test_top1_mean"] - table["dataset"].map(tm)
    table["student"] = [student_label(s, a) for s, a in zip(table["student"], table["arm"])]
    table.insert(0, "source", THIS_RUN)
    rows = []
    for p in paper.itertuples(index=False):
        tm_top1, tx_top1 = float(p.visual_only_Tm_to_S), float(p.Tm_plus_Tx_to_S)
        for label, top1 in (("T_m -> S", tm_top1), ("T_m + T_x(relaxed) -> S", tx_top1)):
            rows.append({"source": f"paper ({p.setting})", "dataset": p.dataset, "student": label, "test_top1_mean": top1, "gain_vs_Tm": top1 - tm_top1})
    out = pd.concat([table[MAIN_COLUMNS], pd.DataFrame(rows, columns=MAIN_COLUMNS)], ignore_index=True)
    return out.astype({"n": "Int64"})


def leakage_table(teachers: pd.DataFrame, students: pd.DataFrame, paper_leakage: pd.DataFrame) -> pd.DataFrame:
    """Exact class name vs relaxed text per dataset: T_x's mean entropy (nats) and test top-1 over its
    ``n`` seeds, and the test top-1 of the student ``Tm_Tx_<text>`` over its ``n_students`` seeds (empty
    where there is none); then the paper's rows (``source`` ``paper (<setting>)``)."""
    tx = _teacher_measures(teachers[teachers["arm"].isin(["exact", "relaxed"])])
    table = mean_std(tx, ["dataset", "arm"], ["tx_entropy_nats", "tx_top1"])
    studs = _tx_students(students)
    studs = studs[studs["arm"].isin(["exact", "relaxed"])]
    table = table.merge(studs, on=["dataset", "arm"], how="outer", sort=False).rename(columns={"arm": "text"})
    datasets = _first_seen(pd.concat([teachers["dataset"], students["dataset"]]))
    table = table.assign(_d=table["dataset"].map(datasets), _t=table["text"].map({"exact": 0, "relaxed": 1}))
    table = _means(table.sort_values(["_d", "_t"], kind="stable").drop(columns=["_d", "_t"]), LEAKAGE_MEASURES)
    table.insert(0, "source", THIS_RUN)
    paper = pd.DataFrame(
        {
            "source": [f"paper ({s})" for s in paper_leakage["setting"]],
            "dataset": paper_leakage["dataset"],
            "text": paper_leakage["text"].map(lambda t: PAPER_TEXT.get(t, t)),
            **{f"{c}_mean": paper_leakage[c].astype(float) for c in LEAKAGE_MEASURES},
        }
    )
    columns = ["source", "dataset", "text", "n", "tx_entropy_nats_mean", "tx_entropy_nats_std", "tx_top1_mean", "tx_top1_std",
               "n_students", "student_top1_mean", "student_top1_std"]
    out = pd.concat([table.reindex(columns=columns), paper.reindex(columns=columns)], ignore_index=True)
    return out.astype({"n": "Int64", "n_students": "Int64"})


def _on_axis(frame: pd.DataFrame, axis: str) -> pd.DataFrame:
    """The rows of ``frame`` whose arm lies on ``axis``."""
    return frame.loc[np.array([arm_axes(a)[axis] is not None for a in frame["arm"]], dtype=bool)]


def sweep_table(teachers: pd.DataFrame, students: pd.DataFrame, axis: str) -> pd.DataFrame:
    """One sweep per dataset: the arms on ``axis`` (``relaxed_percent``: exact, relaxed and the mixes;
    ``noise_percent``: exact as 0, noise and permute arms) with, over seeds, T_x's image share of the
    Integrated-Gradients attribution, its test top-1 and entropy (nats) and the test top-1 of the student
    of that arm (empty where there is none); sorted by dataset (first seen) then axis value.

    ``family`` names the line a row belongs to: ``mix`` on the relaxed axis; ``noise`` (re-drawn wrong
    names) or ``permute`` (permuted names) on the noise axis, where the exact arm, their common origin,
    appears once in each family the dataset has."""
    if axis not in AXES:
        raise ValueError(f"unknown sweep axis {axis!r}; expected one of {list(AXES)}")
    on_axis = _teacher_measures(_on_axis(teachers, axis))
    measures = ["image_share", "tx_top1", "tx_entropy_nats"]
    table = mean_std(on_axis, ["dataset", "arm"], measures)
    studs = _tx_students(students)
    studs = _on_axis(studs, axis)
    table = table.merge(studs, on=["dataset", "arm"], how="outer", sort=False)
    table.insert(1, axis, [arm_axes(a)[axis] for a in table["arm"]])
    rows = []
    for _, group in table.groupby("dataset", sort=False):
        present = sorted({_parse(a)[0] for a in group["arm"]} & {"noise", "permute"}) or ["noise"]
        for row in group.to_dict("records"):
            if axis == "relaxed_percent":
                families = ["mix"]
            else:
                families = present if row["arm"] == "exact" else [_parse(row["arm"])[0]]
            rows.extend({**row, "family": f} for f in families)
    table = pd.DataFrame(rows, columns=[*table.columns, "family"])
    datasets = _first_seen(pd.concat([teachers["dataset"], students["dataset"]]))
    table = table.assign(_d=table["dataset"].map(datasets)).sort_values(["_d", "family", axis], kind="stable").drop(columns="_d")
    table = _means(table, SWEEP_MEASURES)
    columns = ["dataset", "family", axis, "arm", "n", *[f"{c}_{s}" for c in measures for s in ("mean", "std")],
               "n_students", "student_top1_mean", "student_top1_std"]
    return table.reindex(columns=columns).reset_index(drop=True).astype({"n": "Int64", "n_students": "Int64"})


def paper_gains(paper: pd.DataFrame, paper_leakage: pd.DataFrame) -> pd.DataFrame:
    """The published numbers re-derived: per setting and dataset the student top-1 from T_m alone and with
    the relaxed T_x, the gain in points and in % of the former, and, where published, the leak (T_x
    entropy and top-1 and the student's top-1 with the exact class name vs relaxed text)."""
    table = paper[["setting", "dataset", "visual_only_Tm_to_S", "Tm_plus_Tx_to_S"]].copy()
    table["gain_points"] = table["Tm_plus_Tx_to_S"] - table["visual_only_Tm_to_S"]
    table["gain_percent"] = 100 * table["gain_points"] / table["visual_only_Tm_to_S"]
    leak = paper_leakage.assign(text=paper_leakage["text"].map(lambda t: PAPER_TEXT.get(t, t)))
    wide = leak.pivot_table(index=["setting", "dataset"], columns="text", values=LEAKAGE_MEASURES, aggfunc="first", sort=False)
    wide.columns = [f"{measure}_{text}" for measure, text in wide.columns]
    leak_columns = [f"{m}_{t}" for m in LEAKAGE_MEASURES for t in ("exact", "relaxed")]
    table = table.merge(wide.reset_index(), on=["setting", "dataset"], how="left") if len(leak) else table
    columns = ["setting", "dataset", "visual_only_Tm_to_S", "Tm_plus_Tx_to_S", "gain_points", "gain_percent", *leak_columns]
    return table.reindex(columns=columns).round(4)


TABLES = ("main", "leakage", "mix_sweep", "noise_sweep")
_MARKDOWN = {  # keys, measures, decimals of each table's Markdown view
    "main": (["source", "dataset", "student", "n"], ["test_top1", "val_top1", "gain_vs_Tm"], {}),
    "leakage": (["source", "dataset", "text", "n", "n_students"], LEAKAGE_MEASURES, {"tx_entropy_nats": 4}),
    "mix_sweep": (["dataset", "family", "relaxed_percent", "arm", "n", "n_students"], SWEEP_MEASURES, {"image_share": 3, "tx_entropy_nats": 3}),
    "noise_sweep": (["dataset", "family", "noise_percent", "arm", "n", "n_students"], SWEEP_MEASURES, {"image_share": 3, "tx_entropy_nats": 3}),
}


def build(name: str, teachers: pd.DataFrame, students: pd.DataFrame, paper: pd.DataFrame, paper_leakage: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table called ``name`` (one of :data:`TABLES`) and its Markdown view (:func:`kdgen.tables.mean_std_markdown`)."""
    if name == "main":
        table = main_table(students, paper)
    elif name == "leakage":
        table = leakage_table(teachers, students, paper_leakage)
    elif name in ("mix_sweep", "noise_sweep"):
        table = sweep_table(teachers, students, "relaxed_percent" if name == "mix_sweep" else "noise_percent")
    else:
        raise ValueError(f"unknown xkd table {name!r}; expected one of {list(TABLES)}")
    keys, columns, digits = _MARKDOWN[name]
    return table, mean_std_markdown(table, keys, columns, {c: digits.get(c, 2) for c in columns}) + "\n"
