"""The xkd tables (means and stds over seeds, the paper's rows beside them, the sweeps' axes) and that
every xkd figure builds from small inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kdgen.tables import mean_std_markdown as markdown
from kdgen.xkd.tables import (
    arm_axes,
    leakage_table,
    main_table,
    student_label,
    sweep_table,
)

PAPER = pd.DataFrame(
    {"setting": ["resnet", "vit"], "dataset": ["CIFAR-100", "ImageNet"], "visual_only_Tm_to_S": [82.24, 81.63], "Tm_plus_Tx_to_S": [84.88, 83.94]}
)
PAPER_LEAKAGE = pd.DataFrame(
    {
        "setting": ["resnet", "resnet"],
        "dataset": ["CIFAR-100", "CIFAR-100"],
        "text": ["exact_class_name", "wordnet_relaxed"],
        "tx_entropy_nats": [0.0016, 1.2803],
        "tx_top1": [100.0, 64.39],
        "student_top1": [81.88, 84.88],
    }
)
SD2 = np.std([0, 1], ddof=1)  # the sample std of two values one apart


def _teachers() -> pd.DataFrame:
    """Two seeds per arm on ``a``; test top-1 base + seed, entropy 0.5 + seed/10, image share by arm."""
    arms = {"exact": 90, "relaxed": 60, "mix50": 75, "mix10": 64, "noise20": 80, "permute20": 78, "noise50": 55, "image": 40, "text": 30}
    share = {"exact": 0.1, "relaxed": 0.6, "mix50": 0.4, "mix10": 0.55, "noise20": 0.3, "permute20": 0.35, "noise50": 0.5, "image": 1.0, "text": 0.0}
    rows = [
        {"dataset": "a", "arm": arm, "seed": seed, "val_top1": top1 - 1 + seed, "test_top1": top1 + seed, "entropy_nats": 0.5 + seed / 10,
         "image_share": share[arm] + seed / 100, "ig_delta": 0.001}
        for arm, top1 in arms.items() for seed in (0, 1)
    ]
    return pd.DataFrame(rows)


def _students() -> pd.DataFrame:
    """On ``a``: three seeds each of no KD (70, 71, 72), T_m (+4), T_m + T_x exact (+3), relaxed (+6) and
    mix50 (+5); no student of mix10 or the noise arms. Listed out of order, the arm column of the plain
    students empty or NaN."""
    rows = []
    for student, arm, offset in (("Tm_Tx_mix50", "mix50", 5), ("Tm_Tx_relaxed", "relaxed", 6), ("noKD", np.nan, 0), ("Tm", "", 4),
                                 ("Tm_Tx_exact", "exact", 3)):
        for seed in (0, 1, 2):
            rows.append({"dataset": "a", "student": student, "arm": arm, "seed": seed, "val_top1": 60.0 + offset, "test_top1": 70.0 + offset + seed})
    return pd.DataFrame(rows)


def test_arm_axes_place_every_form():
    assert arm_axes("exact") == {"relaxed_percent": 0.0, "noise_percent": 0.0}
    assert arm_axes("relaxed") == {"relaxed_percent": 100.0, "noise_percent": None}
    assert arm_axes("mix20") == {"relaxed_percent": 80.0, "noise_percent": None}
    assert arm_axes("mix100")["relaxed_percent"] == 0.0
    assert arm_axes("noise30") == {"relaxed_percent": None, "noise_percent": 30.0}
    assert arm_axes("permute5") == {"relaxed_percent": None, "noise_percent": 5.0}
    assert arm_axes("image") == arm_axes("text") == {"relaxed_percent": None, "noise_percent": None}
    for bad in ("mixed", "noise101", "Tm", ""):
        with pytest.raises(ValueError, match="unknown xkd arm"):
            arm_axes(bad)


def test_student_labels():
    assert student_label("noKD", np.nan) == "no KD"
    assert student_label("Tm", "") == "T_m -> S"
    assert student_label("Tm_Tx_exact", "exact") == "T_m + T_x(exact) -> S"
    assert student_label("Tm_Tx_relaxed", np.nan) == "T_m + T_x(relaxed) -> S"  # the arm from the name
    assert student_label("Tm_Tx_mix50", "mix50") == "T_m + T_x(mix50) -> S"


def test_main_table_orders_students_averages_seeds_and_adds_the_paper():
    table = main_table(_students(), PAPER)
    this = table[table["source"] == "this run"].set_index("student")
    assert list(this.index) == ["no KD", "T_m -> S", "T_m + T_x(exact) -> S", "T_m + T_x(relaxed) -> S", "T_m + T_x(mix50) -> S"]
    assert (this["n"] == 3).all() and (this["dataset"] == "a").all()
    assert this.loc["no KD", "test_top1_mean"] == pytest.approx(71.0)
    assert this.loc["no KD", "test_top1_std"] == pytest.approx(1.0)
    assert this.loc["T_m + T_x(relaxed) -> S", "test_top1_mean"] == pytest.approx(77.0)
    assert this.loc["T_m -> S", "val_top1_mean"] == pytest.approx(64.0) and this.loc["T_m -> S", "val_top1_std"] == 0
    assert list(this["gain_vs_Tm"]) == pytest.approx([-4.0, 0.0, -1.0, 2.0, 1.0])
    paper = table[table["source"] != "this run"]
    assert list(paper["source"]) == ["paper (resnet)"] * 2 + ["paper (vit)"] * 2
    assert list(paper["student"]) == ["T_m -> S", "T_m + T_x(relaxed) -> S"] * 2
    assert list(paper["test_top1_mean"]) == pytest.approx([82.24, 84.88, 81.63, 83.94])
    assert list(paper["gain_vs_Tm"]) == pytest.approx([0.0, 2.64, 0.0, 2.31])
    assert paper["n"].isna().all() and paper["test_top1_std"].isna().all()
    assert list(table.columns) == ["source", "dataset", "student", "n", "test_top1_mean", "test_top1_std", "val_top1_mean", "val_top1_std", "gain_vs_Tm"]


def test_leakage_table_exact_vs_relaxed_with_the_paper():
    teachers, students = _teachers(), _students()
    students = students[students["student"] != "Tm_Tx_exact"]  # no exact student: its top-1 stays empty
    table = leakage_table(teachers, students, PAPER_LEAKAGE)
    this = table[table["source"] == "this run"].set_index("text")
    assert list(this.index) == ["exact", "relaxed"]
    assert this.loc["exact", "tx_top1_mean"] == pytest.approx(90.5) and this.loc["exact", "tx_top1_std"] == pytest.approx(SD2)
    assert this.loc["relaxed", "tx_entropy_nats_mean"] == pytest.approx(0.55) and this.loc["relaxed", "tx_entropy_nats_std"] == pytest.approx(SD2 / 10)
    assert this.loc["relaxed", "n"] == 2 and this.loc["relaxed", "n_students"] == 3
    assert this.loc["relaxed", "student_top1_mean"] == pytest.approx(77.0) and this.loc["relaxed", "student_top1_std"] == pytest.approx(1.0)
    assert pd.isna(this.loc["exact", "student_top1_mean"]) and pd.isna(this.loc["exact", "n_students"])
    paper = table[table["source"] == "paper (resnet)"].set_index("text")
    assert list(paper.index) == ["exact", "relaxed"] and paper.loc["relaxed", "tx_top1_mean"] == pytest.approx(64.39)
    assert paper.loc["exact", "student_top1_mean"] == pytest.approx(81.88) and paper["tx_top1_std"].isna().all()
    text = markdown(table, ["source", "dataset", "text", "n"], ["tx_entropy_nats", "tx_top1", "student_top1"], {"tx_entropy_nats": 4})
    assert "90.50 ± 0.71" in text and "| 0.0016 " in text and "paper (resnet)" in text and "±" not in text.splitlines()[-1]


def test_mix_sweep_is_sorted_with_exact_at_zero():
    table = sweep_table(_teachers(), _students(), "relaxed_percent")
    assert list(table["arm"]) == ["exact", "mix50", "mix10", "relaxed"]
    assert list(table["relaxed_percent"]) == [0.0, 50.0, 90.0, 100.0] and set(table["family"]) == {"mix"}
    row = table.set_index("arm").loc["mix50"]
    assert row["image_share_mean"] == pytest.approx(0.405) and row["image_share_std"] == pytest.approx(SD2 / 100)
    assert row["tx_top1_mean"] == pytest.approx(75.5) and row["student_top1_mean"] == pytest.approx(76.0)
    mix10 = table.set_index("arm").loc["mix10"]
    assert pd.isna(mix10["student_top1_mean"]) and pd.isna(mix10["n_students"]) and mix10["n"] == 2


def test_noise_sweep_puts_exact_at_zero_of_each_corruption():
    table = sweep_table(_teachers(), _students(), "noise_percent")
    noise = table[table["family"] == "noise"]
    assert list(noise["arm"]) == ["exact", "noise20", "noise50"] and list(noise["noise_percent"]) == [0.0, 20.0, 50.0]
    permute = table[table["family"] == "permute"]
    assert list(permute["arm"]) == ["exact", "permute20"]
    assert not {"relaxed", "image", "text"} & set(table["arm"]) and not any(a.startswith("mix") for a in table["arm"])
    assert table["student_top1_mean"].notna().sum() == 2  # only exact (twice) has a student
    with pytest.raises(ValueError, match="unknown sweep axis"):
        sweep_table(_teachers(), _students(), "noise")


def test_markdown_shows_mean_and_std_and_leaves_the_paper_plain():
    text = markdown(main_table(_students(), PAPER), ["source", "dataset", "student", "n"], ["test_top1", "gain_vs_Tm"])
    lines = text.splitlines()
    assert "| 71.00 ± 1.00 " in lines[2] and "no KD" in lines[2]
    paper = next(line for line in lines if "paper (vit)" in line and "T_x(relaxed)" in line)
    assert "83.94" in paper and "2.31" in paper and "±" not in paper


@pytest.fixture
def tables():
    teachers, students = _teachers(), _students()
    b_teachers, b_students = teachers.assign(dataset="b"), students.assign(dataset="b")
    teachers, students = pd.concat([teachers, b_teachers]), pd.concat([students, b_students[b_students["seed"] == 0]])
    return {
        "main": main_table(students, PAPER),
        "leakage": leakage_table(teachers, students, PAPER_LEAKAGE),
        "relaxed_percent": sweep_table(teachers, students, "relaxed_percent"),
        "noise_percent": sweep_table(teachers, students, "noise_percent"),
    }


def test_every_figure_builds_and_saves(tables, tmp_path):
    from kdgen.plots.style import save_figure
    from kdgen.xkd.figures import (
        clip_figure,
        leakage_figure,
        main_figure,
        retrieval_figure,
        sweep_figure,
        vocabulary_figure,
    )

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    clusters = [{"cluster": i, "size": 10 + i, "images": images[: 1 + i % 3], "nouns": ["dog", "puppy", "hound"][: 1 + i % 3]} for i in range(18)]
    rows = [{"image": images[i], "label": f"class {i}", "nouns": ["cat", "dog", "car", "tree", "ship", "extra"], "scores": [0.3, 0.2, 0.1, 0.05, 0.01, 0.0]}
            for i in range(3)]
    rows[0]["image"] = images[0][..., :1]  # a grey image (H, W, 1), as MNIST-like datasets store them
    metrics = pd.DataFrame({"epoch": [1, 2, 3], "train_clip": [4.0, 3.1, 2.5], "train_top1": [10.0, 20.0, 30.0], "val_top1": [8.0, 15.0, 22.0]})
    retrieval = {"i2t_r1": 12.0, "i2t_r5": 35.0, "t2i_r1": 11.0, "t2i_r5": 33.0, "zero_shot_top1": 25.0, "chance_r1": 0.1, "chance_r5": 0.5,
                 "chance_top1": 1.0, "n_pairs": 1000}
    figures = {
        "main": main_figure(tables["main"]),
        "leakage": leakage_figure(tables["leakage"]),
        "mix": sweep_figure(tables["relaxed_percent"], "relaxed_percent"),
        "noise": sweep_figure(tables["noise_percent"], "noise_percent"),
        "vocabulary": vocabulary_figure(clusters),
        "retrieval": retrieval_figure(rows),
        "clip": clip_figure(metrics, retrieval),
        "clip_fractions": clip_figure(metrics, {k: (v / 100 if k != "n_pairs" else v) for k, v in retrieval.items()}),
    }
    assert "compact CLIP trained by the workflow" in figures["clip"]._suptitle.get_text()
    for name, fig in figures.items():
        save_figure(fig, tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 1000, name


def test_figures_build_without_students_or_paper_rows(tables, tmp_path):
    from kdgen.plots.style import save_figure
    from kdgen.xkd.figures import leakage_figure, main_figure, sweep_figure

    leak = leakage_table(_teachers(), _students().iloc[:0], PAPER_LEAKAGE.iloc[:0])
    sweep = sweep_table(_teachers(), _students().iloc[:0], "noise_percent")
    main = main_table(_students()[lambda s: s["student"].isin(["noKD", "Tm"])], PAPER.iloc[:0])
    for name, fig in {"leak": leakage_figure(leak), "sweep": sweep_figure(sweep, "noise_percent"), "main": main_figure(main)}.items():
        save_figure(fig, tmp_path / f"{name}.png")


def test_paper_gains_rederive_the_published_numbers():
    from kdgen.xkd.tables import paper_gains

    table = paper_gains(PAPER, PAPER_LEAKAGE).set_index(["setting", "dataset"])
    row = table.loc["resnet", "CIFAR-100"]
    assert row["gain_points"] == pytest.approx(2.64) and row["gain_percent"] == pytest.approx(100 * 2.64 / 82.24, abs=1e-4)
    assert row["tx_top1_exact"] == 100.0 and row["tx_entropy_nats_relaxed"] == pytest.approx(1.2803) and row["student_top1_exact"] == 81.88
    assert pd.isna(table.loc["vit", "ImageNet"]["tx_top1_exact"])  # no leak published for it in this frame


@pytest.mark.parametrize("name", ["main", "leakage", "mix_sweep", "noise_sweep"])
def test_build_writes_each_table_and_its_figure_draws_from_the_csv(name, tmp_path):
    from kdgen.plots.style import save_figure
    from kdgen.xkd.figures import figure
    from kdgen.xkd.tables import build

    table, md = build(name, _teachers(), _students(), PAPER, PAPER_LEAKAGE)
    assert len(table) and md.startswith("|") and "±" in md
    table.to_csv(tmp_path / "t.csv", index=False)
    save_figure(figure(name, pd.read_csv(tmp_path / "t.csv")), tmp_path / f"{name}.png")
    with pytest.raises(ValueError, match="unknown xkd table"):
        build("other", _teachers(), _students(), PAPER, PAPER_LEAKAGE)
