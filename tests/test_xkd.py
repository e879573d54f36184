"""The xkd study's expansion, config checks, the crossmodal teacher through the trainer and the distillation
core, and the paper-scale config planned against the fixtures."""

import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from kdgen.config import validate_config
from kdgen.distill.plan import classifier_teachers, student_teachers
from kdgen.lfkd.plan import lfkd_baselines, lfkd_pool
from kdgen.studies import config_problems, trained_classifier_runs
from kdgen.xkd.plan import xkd_arms, xkd_baselines, xkd_students


@pytest.fixture()
def smoke(repo):
    return yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())


def test_default_xkd_shares_the_lfkd_pool_and_names_its_runs(repo):
    config = validate_config(yaml.safe_load((repo / "config.yaml").read_text()))
    pool = lfkd_pool(config, "shapes")
    students = xkd_students(config)
    assert sorted({s["name"] for s in students}) == ["Tm", "Tm_Tx_exact", "Tm_Tx_relaxed"]
    for s in students:
        image = [{k: t[k] for k in ("dataset", "train_subset", "arch", "aug", "seed")} for t in classifier_teachers(s)]
        assert [t["aug"] for t in image] == ["weak", "strong"]
        assert all(t in pool for t in image), "T_m must be runs of the lfkd pool (one DAG node each)"
        crossmodal = [t for t in student_teachers(s) if "crossmodal" in t]
        assert len(crossmodal) == (s["name"] != "Tm")
        if crossmodal:
            assert crossmodal[0] == {"name": "T3", "crossmodal": s["name"].removeprefix("Tm_Tx_"), "dataset": "shapes", "seed": s["seeds"][0]}
    # teachers rotate with the student's seed, as in lfkd
    seeds = {s["seeds"][0]: [t["seed"] for t in classifier_teachers(s)] for s in students if s["name"] == "Tm"}
    assert seeds == {0: [0, 1], 1: [1, 2], 2: [2, 0]}
    # the no-KD students are classifier runs (here lfkd's noKD_Sw runs), crossmodal teachers are not
    runs = trained_classifier_runs(config)
    assert xkd_baselines(config) == [{"dataset": "shapes", "train_subset": "size-400", "arch": "resnet8", "aug": "weak", "seed": s} for s in (0, 1, 2)]
    assert all(r in runs for r in xkd_baselines(config)) and all("crossmodal" not in r for r in runs)
    assert [r for r in lfkd_baselines(config) if r["dataset"] == "shapes"] == xkd_baselines(config)[:2]


def test_arms_alias_the_ends_of_the_sweeps(smoke):
    config = validate_config(smoke)
    config["xkd"]["arms"].update(mix=[0, 10, 100], noise=[0, 50], noise_mode="permute", image_only=True, text_only=False)
    config["xkd"]["students"] = ["mix100", "relaxed", "noise50"]
    assert xkd_arms(config) == ["exact", "relaxed", "mix10", "permute50", "image", "noise50"]
    assert sorted({s["name"] for s in xkd_students(config)}) == ["Tm", "Tm_Tx_exact", "Tm_Tx_noise50", "Tm_Tx_relaxed"]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["clip"].update(arch="ViT-B/32"), "clip.arch = 'ViT-B/32': not an open_clip architecture; did you mean 'ViT-B-32'?"),
        (lambda c: c["clip"].update(arch="ViT-B-32"), "clip.weights is null with clip.arch = 'ViT-B-32': the workflow pretrains only the compact CLIP"),
        (lambda c: c["clip"].update(weights="/nowhere/ViT-B-32.pt"), "clip.weights = '/nowhere/ViT-B-32.pt': no such file; expected open_clip weights"),
        (lambda c: c["xkd"]["vocabulary"].update(clusters=65), "xkd.vocabulary.clusters = 65: more clusters than the 64 training images of 'shapes'"),
        (lambda c: c["xkd"]["datasets"].update(ghost={"teacher_subset": "full", "student_subset": "full"}), "xkd.datasets.ghost: not a configured dataset"),
        (lambda c: c["xkd"]["datasets"]["shapes"].update(student_subset="size-7"), "xkd.datasets.shapes.student_subset = 'size-7': not a subset of dataset 'shapes'"),
        (lambda c: c["xkd"].update(student_arch="wrn_15_2"), "xkd.student_arch = 'wrn_15_2': WRN depth must be 6n+4"),
        (lambda c: c["xkd"]["datasets"].update(digits={"teacher_subset": "full", "student_subset": "size-50"}),
         "xkd.datasets.digits: the compact CLIP (clip.weights: null) is pretrained on captions written from the classes' WordNet synsets"),
    ],
)
def test_bad_xkd_settings_are_one_line_each(smoke, mutate, expected):
    assert config_problems(validate_config(smoke)) == []
    mutate(smoke)
    problems = config_problems(validate_config(smoke))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["xkd"]["arms"].update(mix=[50, 101]), "xkd.arms.mix[1] = 101"),
        (lambda c: c["xkd"].update(students=["relaxd"]), 'xkd.students[0] = "relaxd"'),
        (lambda c: c["xkd"]["vocabulary"].update(mode="tree"), 'xkd.vocabulary.mode = "tree"'),
    ],
)
def test_xkd_schema_errors_name_the_key(smoke, mutate, expected):
    from kdgen.config import ConfigError

    mutate(smoke)
    with pytest.raises(ConfigError) as info:
        validate_config(smoke)
    assert expected in str(info.value)


def test_crossmodal_teacher_trains_through_the_trainer_and_teaches_a_student(tmp_path):
    """T_x on feature rows through fit (resumable state, best val checkpoint), rebuilt from its checkpoint
    and used as a distillation teacher that looks the student's batches up by id."""
    from kdgen.distill.kd import KnowledgeDistillation
    from kdgen.train.classifier import save_outputs
    from kdgen.train.trainer import BatchContext, TrainConfig, fit
    from kdgen.xkd.crossmodal import CrossmodalLoss, CrossmodalTeacher
    from kdgen.xkd.io import Embeddings, crossmodal_meta, crossmodal_teacher, load_embeddings, save_embeddings, teacher_rows

    gen = torch.Generator().manual_seed(0)
    d, c, n = 8, 3, 90
    class_text = torch.nn.functional.normalize(torch.randn(c, d, generator=gen), dim=1)
    labels = torch.arange(n) % c
    image = torch.nn.functional.normalize(class_text[labels] + 0.8 * torch.randn(n, d, generator=gen), dim=1)
    save_embeddings(tmp_path / "emb.npz", Embeddings(np.arange(n), image.numpy(), labels.numpy(), class_text.numpy(), ["a", "b", "c"]))
    emb = load_embeddings(tmp_path / "emb.npz")
    train_ids, val_ids = np.arange(0, 60), np.arange(60, 90)
    x, y, ids = teacher_rows(emb, train_ids, "exact", seed=3)
    xv, yv, _ = teacher_rows(emb, val_ids, "exact", seed=3)
    model = CrossmodalTeacher(torch.nn.functional.normalize(torch.randn(5, d, generator=gen), dim=1), class_text, 0.05, 16, seed=1)
    cfg = TrainConfig(epochs=15, batch_size=16, optimizer="adamw", lr=0.01, weight_decay=0.0, warmup_epochs=0, inputs="features")
    result = fit(model, x, y, xv, yv, cfg, tmp_path / "state", method=CrossmodalLoss(), progress=False, log=lambda m: None, train_ids=ids)
    assert result.best_val_top1 == 100.0  # the exact class name leaks the label
    assert {"train_ce", "train_hier", "train_reg", "train_cos_text"} <= set(result.history[-1])
    paths = [tmp_path / f for f in ("best.pt", "last.pt", "metrics.csv")]
    save_outputs(model, result, crossmodal_meta("exact", 3, model), tmp_path / "state", *paths)
    teacher = crossmodal_teacher(paths[0], emb, num_classes=c)
    batch = torch.tensor([61, 5, 88])
    rows, _, _ = teacher_rows(emb, batch.numpy(), "exact", seed=3)
    assert torch.allclose(teacher(torch.zeros(3, 3, 4, 4), batch), teacher.head(rows))
    kd = KnowledgeDistillation({"T3": teacher})
    student = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, c))
    logits, terms, logged = kd(student, torch.rand(3, 3, 4, 4), labels[batch], BatchContext(batch, 0, 0, 0))
    assert set(logged) == {"ce", "kl_T3"} and torch.isfinite(terms["kd_kl"])


def test_the_paper_config_plans_through_the_slurm_profile(repo, tmp_path):
    """configs/paper/xkd.yaml with CIFAR-100 pointed at an (empty) folder and a stand-in ViT-B-32 weights file:
    -n plans every leaf, with no CLIP pretraining (its CLIP comes from the file), every job on the GPU."""
    text = (repo / "configs/paper/xkd.yaml").read_text()
    (tmp_path / "cifar100").mkdir()
    weights = tmp_path / "ViT-B-32-openai.pt"
    weights.write_bytes(b"stand-in: the planner checks the file exists, the embed job loads it")
    resnet50 = tmp_path / "resnet50.pth"
    resnet50.write_bytes(b"stand-in: the planner checks that the file exists")
    text = text.replace("/data/cifar100", str(tmp_path / "cifar100")).replace("/data/weights/ViT-B-32-openai.pt", str(weights))
    text = text.replace("/data/weights/resnet50-11ad3fa6.pth", str(resnet50))
    (tmp_path / "paper.yaml").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path / "work"),
         "xkd", "-n", "--profile", str(repo / "profiles/slurm"), "--configfile", str(tmp_path / "paper.yaml")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    paper = validate_config(yaml.safe_load(text))
    arms, seeds, datasets = xkd_arms(paper), paper["xkd"]["seeds"], paper["xkd"]["datasets"]
    assert len(arms) == 2 + 5 + 4 + 2  # exact, relaxed, 5 inner mixes, 4 noise levels, image-only, text-only
    assert re.search(rf"^xkd_teacher\s+{len(arms) * len(seeds) * len(datasets)}$", proc.stdout, re.M)
    assert re.search(rf"^distill_student\s+{3 * len(seeds) * len(datasets)}$", proc.stdout, re.M)
    assert "xkd_clip_pretrain" not in proc.stdout
    jobs = proc.stdout.split("rule xkd_embed:")[1:]
    assert jobs and all("gpu=1" in job.split("\n\n")[0] for job in jobs)
    assert "results/xkd/tables/leakage.csv" in proc.stdout and "results/reference/xkd_paper_fit.csv" in proc.stdout


def test_the_augmented_view_runs_the_clip_on_the_students_batch(tmp_path):
    """xkd.view: augmented: T_x reads the CLIP embedding of the batch it is given (not the stored clean one),
    with the arm's text drawn per id as for the clean view."""
    from kdgen.xkd.clip import build_clip, encode_images
    from kdgen.xkd.crossmodal import CrossmodalTeacher, arm_inputs, parse_arm
    from kdgen.xkd.io import Embeddings, augmented_view_teacher, crossmodal_meta
    from kdgen.train.classifier import save_outputs
    from kdgen.train.trainer import TrainResult, atomic_torch_save

    torch.manual_seed(0)
    bundle = build_clip("kdgen-compact-clip-rn")
    d, c, n = 64, 3, 6
    class_text = torch.nn.functional.normalize(torch.randn(c, d), dim=1)
    emb = Embeddings(np.arange(n), np.zeros((n, d), np.float32), np.arange(n) % c, class_text.numpy(), ["a", "b", "c"])
    model = CrossmodalTeacher(torch.nn.functional.normalize(torch.randn(4, d), dim=1), class_text, 0.05, 8, seed=1)
    atomic_torch_save({"model": model.state_dict()}, tmp_path / "state" / "best.pt")
    result = TrainResult([{"epoch": 1, "val_top1": 0.0}], 1, 0.0, 0)
    paths = [tmp_path / f for f in ("best.pt", "last.pt", "metrics.csv")]
    save_outputs(model, result, crossmodal_meta("mix50", 2, model), tmp_path / "state", *paths)
    teacher = augmented_view_teacher(paths[0], emb, bundle, num_classes=c).eval()
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8)
    ids = torch.tensor([4, 0, 2])
    with torch.no_grad():
        got = teacher(images.float() / 255, ids)
        v = encode_images(bundle, images)
        want = model.eval()(arm_inputs(parse_arm("mix50"), v, ids % c, ids, class_text, 2))
    assert torch.allclose(got, want, atol=1e-5)
