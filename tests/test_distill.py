"""The distillation core: the KD loss and method, teachers, the batch context, guarded teachers, resume identity,
the augmentation ladder, deterministic metrics and the analysis hooks (logits, class activation maps)."""

from itertools import pairwise

import numpy as np
import pytest
import torch
from torch import nn

from kdgen.data import synthetic
from kdgen.data.store import ClassInfo, ImageDataset, save_dataset
from kdgen.distill.kd import KDConfig, KnowledgeDistillation, kd_loss
from kdgen.distill.methods import build_method
from kdgen.distill.teachers import ClassifierTeacher, EmbeddingTeacher, TeacherError
from kdgen.models import Normalized, build_model, cam_parts
from kdgen.models.architectures import ARCH_NAMES
from kdgen.runtime import atomic_torch_save, file_sha256
from kdgen.train.augment import Augmentation
from kdgen.train.classifier import SplitData, build_classifier, classifier_meta, load_classifier, load_split_data, save_outputs, train_and_save
from kdgen.train.trainer import CrossEntropy, TrainConfig, TrainingError, evaluate, fit, predict_logits

QUIET = {"progress": False, "log": lambda s: None}


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def _data(per_class=16, size=16, seed=0):
    classes = ["triangle.n.01", "square.n.01", "circle.n.01", "star.n.05"]
    fields = synthetic.canonical_fields(classes, classes)
    labels = synthetic.balanced_labels(len(classes), per_class)
    images = synthetic.render(labels, fields, ["position", "scale", "colour"], size, seed)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(labels)
    val = torch.arange(len(y)) % 4 == 0
    return SplitData((x[~val], y[~val]), (x[val], y[val]), (x[val], y[val]), len(classes), size)


def _cfg(**kw):
    return TrainConfig(**{"epochs": 2, "batch_size": 16, "lr": 0.05, "eval_batch_size": 64, "augmentation": "weak", **kw})


def _teacher_ckpt(data, path, seed):
    """A (briefly trained) classifier checkpoint of the train_classifier rule's format."""
    model = build_classifier("tiny", data, seed=seed)
    result = fit(model, *data.train, *data.val, _cfg(epochs=1, seed=seed), path.parent / f"state{seed}", **QUIET)
    save_outputs(model, result, classifier_meta("tiny", data), path.parent / f"state{seed}", path, path.parent / f"last{seed}.pt", path.parent / f"m{seed}.csv")
    return path


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- the loss


def test_kd_loss_matches_a_hand_computation():
    student = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    teachers = {"a": torch.tensor([[3.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), "b": torch.tensor([[0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])}
    labels = torch.tensor([0, 2])
    alpha, beta, t = 0.7, 0.3, 2.0

    def softmax(z):
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def hand(t):
        s = student.numpy().astype(np.float64)
        ce = -np.mean(np.log(softmax(s)[[0, 1], labels.numpy()]))
        ps, kl = softmax(s / t), {}
        for name, z in teachers.items():
            pk = softmax(z.numpy().astype(np.float64) / t)
            kl[name] = np.mean(np.sum(pk * (np.log(pk) - np.log(ps)), axis=1))  # KL(teacher || student), batch mean
        return ce, kl

    ce, kl = hand(t)
    terms, logged = kd_loss(student, teachers, labels, alpha, beta, t)
    assert set(terms) == {"kd_ce", "kd_kl"} and set(logged) == {"ce", "kl_a", "kl_b"}
    assert float(logged["ce"]) == pytest.approx(ce, rel=1e-5)
    assert float(logged["kl_a"]) == pytest.approx(kl["a"], rel=1e-5)
    assert float(logged["kl_b"]) == pytest.approx(kl["b"], rel=1e-5)
    assert kl["a"] != pytest.approx(kl["b"], rel=0.1)  # the columns are not one value twice
    # the loss is the mean over teachers of alpha CE + beta T^2 KL_k
    expected = np.mean([alpha * ce + beta * t**2 * kl[name] for name in teachers])
    assert float(sum(terms.values())) == pytest.approx(expected, rel=1e-5)
    default = kd_loss(student, teachers, labels)[0]  # alpha 0.6, beta 0.4, T 3
    ce3, kl3 = hand(3.0)
    assert float(default["kd_ce"]) == pytest.approx(0.6 * ce3, rel=1e-5)
    assert float(default["kd_kl"]) == pytest.approx(0.4 * 9 * np.mean(list(kl3.values())), rel=1e-5)


def test_kd_settings_are_checked():
    with pytest.raises(ValueError, match="temperature"):
        KDConfig(temperature=0)
    with pytest.raises(ValueError, match="at least one teacher"):
        KnowledgeDistillation({})
    with pytest.raises(ValueError, match="teacher names"):
        KnowledgeDistillation({"t-1": nn.Linear(2, 2)})


# ----------------------------------------------------------------------------- teachers in the trainer


class Recording(KnowledgeDistillation):
    """KD that records, per batch, the context, the images and whether each teacher was in train mode."""

    def __init__(self, teachers, config=None):
        super().__init__(teachers, config)
        self.calls = []

    def __call__(self, model, images, labels, context):
        training = {n: t.training for n, t in self.teachers.items()}
        self.calls.append({"context": context, "labels": labels.clone(), "images": images.clone(), "training": training})
        return super().__call__(model, images, labels, context)


class SeenImages(ClassifierTeacher):
    """A classifier teacher that records the images it is shown."""

    def __init__(self, classifier):
        super().__init__(classifier)
        self.seen = []

    def forward(self, images, ids):
        self.seen.append(images.clone())
        return super().forward(images, ids)


def test_distillation_logs_each_teacher_and_leaves_teachers_untouched(tmp_path):
    data = _data()
    t1, t2 = build_classifier("tiny", data, seed=1), SeenImages(build_classifier("tiny", data, seed=2))
    t1.train()  # handed over in train mode: the trainer must still run it in eval mode
    before = [_weights(t1), _weights(t2)]
    method = Recording({"w": t1, "s": t2})
    result = fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(), tmp_path, method=method, **QUIET)
    row = result.history[-1]
    assert {"train_ce", "train_kd_ce", "train_kd_kl", "train_kl_w", "train_kl_s"} <= set(row)
    assert row["train_loss"] == pytest.approx(row["train_kd_ce"] + row["train_kd_kl"], rel=1e-6)
    assert row["train_kl_w"] != row["train_kl_s"]
    assert all(not any(c["training"].values()) for c in method.calls)
    assert len(t2.seen) == len(method.calls) == 6  # the teachers see the student's augmented view
    assert all(torch.equal(seen, c["images"]) for seen, c in zip(t2.seen, method.calls))
    for teacher, saved in zip((t1, t2), before):
        for k, v in teacher.state_dict().items():  # weights and BatchNorm running statistics
            assert torch.equal(v, saved[k]), k
        assert not any(p.requires_grad for p in teacher.parameters())


def test_teachers_are_put_back_in_eval_mode_every_epoch(tmp_path):
    data = _data()

    class Sloppy(Recording):  # leaves its teacher in train mode after the last batch of an epoch
        def __call__(self, model, images, labels, context):
            out = super().__call__(model, images, labels, context)
            if context.batch == 2:
                self.teachers["t"].train()
            return out

    method = Sloppy({"t": build_classifier("tiny", data, seed=1)})
    fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(epochs=3), tmp_path, method=method, **QUIET)
    assert len(method.calls) == 9  # 48 images, batches of 16
    assert [c["training"]["t"] for c in method.calls if c["context"].batch == 0] == [False] * 3


def test_teacher_train_mode_reproduces_the_published_code(tmp_path):
    data = _data()
    teacher = build_classifier("tiny", data, seed=1)
    before = _weights(teacher)
    method = Recording({"t": teacher})
    fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(teacher_mode="train"), tmp_path, method=method, **QUIET)
    assert all(c["training"]["t"] for c in method.calls)
    after = teacher.state_dict()
    assert not torch.equal(after["backbone.features.1.running_mean"], before["backbone.features.1.running_mean"])
    assert torch.equal(after["backbone.features.0.weight"], before["backbone.features.0.weight"])  # no gradient steps
    with pytest.raises(TrainingError, match="teacher_mode"):
        fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(teacher_mode="batch"), tmp_path / "x", method=method, **QUIET)


def test_classifier_teacher_loads_a_checkpoint_or_names_the_file(tmp_path):
    data = _data()
    path = _teacher_ckpt(data, tmp_path / "teacher.pt", seed=1)
    teacher = ClassifierTeacher.from_checkpoint(path)
    x = data.val[0].float() / 255
    assert teacher(x, torch.arange(len(x))).shape == (len(x), data.num_classes)
    with pytest.raises(TeacherError, match="missing.pt not found"):
        ClassifierTeacher.from_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TeacherError, match=r"junk.pt cannot be loaded \(DamagedFileError: .*junk.pt: damaged \(not a readable zip archive"):
        ClassifierTeacher.from_checkpoint(tmp_path / "junk.pt")
    atomic_torch_save({"model": {}}, tmp_path / "nometa.pt")
    with pytest.raises(TeacherError, match=r"nometa.pt cannot be loaded \(KeyError: 'meta'"):
        ClassifierTeacher.from_checkpoint(tmp_path / "nometa.pt")
    with pytest.raises(TeacherError, match=r"teacher.pt predicts 4 classes, but the student's data has 10"):
        ClassifierTeacher.from_checkpoint(path, num_classes=10)
    assert ClassifierTeacher.from_checkpoint(path, num_classes=4).source == str(path)


def test_methods_get_the_dataset_ids_of_their_batch(tmp_path):
    data = _data()
    n, k = len(data.train[0]), data.num_classes
    rng = np.random.default_rng(0)
    train_ids = torch.from_numpy(rng.choice(np.arange(1000, 5000), size=n, replace=False))
    # a table over more ids than the training set, in another order; row of id i says "class of i"
    table_ids = torch.cat([train_ids, torch.arange(100, 140)])[torch.from_numpy(rng.permutation(n + 40))]
    label_of = dict(zip(train_ids.tolist(), data.train[1].tolist()))
    embeddings = torch.stack([nn.functional.one_hot(torch.tensor(label_of.get(i, 0)), k).float() * 5 for i in table_ids.tolist()])
    head = nn.Linear(k, k)
    with torch.no_grad():
        head.weight.copy_(torch.eye(k))
        head.bias.zero_()
    method = Recording({"clip": EmbeddingTeacher(embeddings, k, ids=table_ids, head=head)})
    fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(), tmp_path, method=method, train_ids=train_ids, **QUIET)
    for epoch in (0, 1):
        calls = [c for c in method.calls if c["context"].epoch == epoch]
        seen = torch.cat([c["context"].ids for c in calls])
        assert sorted(seen.tolist()) == sorted(train_ids.tolist())
        assert [c["context"].step for c in calls] == list(range(epoch * len(calls), (epoch + 1) * len(calls)))
    teacher = method.teachers["clip"]
    for c in method.calls:  # the teacher looked each batch up: its prediction is the label of every image
        assert torch.equal(teacher(None, c["context"].ids).argmax(1), c["labels"])
    with pytest.raises(TeacherError, match=r"no row for ids \[7\]"):
        teacher(None, torch.tensor([train_ids[0].item(), 7]))


def test_split_data_keep_the_dataset_ids(tmp_path):
    n = 30
    images = np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None, None], (n, 8, 8, 3)).copy()  # pixel = index
    ds = ImageDataset(images, np.arange(n) % 3, (np.arange(n) >= 24).astype(np.uint8), [ClassInfo(c) for c in "abc"], "toy")
    save_dataset(ds, tmp_path / "d.npz", tmp_path / "d.json", "toy")
    np.savez(tmp_path / "splits.npz", train=np.arange(0, 18), val=np.arange(18, 24), test=np.arange(24, 30))
    np.save(tmp_path / "subset.npy", np.array([3, 17, 5, 11]))
    data = load_split_data(str(tmp_path / "d.npz"), str(tmp_path / "d.json"), str(tmp_path / "splits.npz"), str(tmp_path / "subset.npy"))
    for split in ("train", "val", "test"):
        ids = data.split_ids(split)
        assert torch.equal(getattr(data, split)[0][:, 0, 0, 0].long(), ids), split
    assert data.split_ids("train").tolist() == [3, 17, 5, 11]


def test_a_student_run_has_a_classifier_runs_outputs_and_leaves_its_teachers_alone(tmp_path):
    """train_and_save with a configured method: the distill rule's run, shaped like a classifier run."""
    data = _data()
    paths = {name: _teacher_ckpt(data, tmp_path / f"{name}.pt", seed) for name, seed in (("T1", 1), ("T2", 2))}
    before = {name: file_sha256(p) for name, p in paths.items()}
    teachers = {name: ClassifierTeacher.from_checkpoint(p, data.num_classes) for name, p in paths.items()}
    method = build_method("kd", teachers, {"alpha": 0.5, "beta": 0.5, "temperature": 2.0})
    assert method.settings() == {"alpha": 0.5, "beta": 0.5, "temperature": 2.0, "teachers": ["T1", "T2"]}
    run = tmp_path / "student"
    out = [run / f for f in ("best.pt", "last.pt", "metrics.csv", "timing.csv")]
    result = train_and_save("tiny", data, _cfg(), run / ".resume", *out, method=method, meta={"method": "kd", "student": "T1w_T2w_Sw"}, log=lambda s: None)
    assert all(p.is_file() for p in out) and not (run / ".resume").exists()
    model, ckpt = load_classifier(run / "best.pt")
    assert ckpt["epoch"] == result.best_epoch and ckpt["meta"] == {**classifier_meta("tiny", data), "method": "kd", "student": "T1w_T2w_Sw"}
    assert model(data.val[0][:2].float() / 255).shape == (2, data.num_classes)
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"train_kd_ce", "train_kd_kl", "train_ce", "train_kl_T1", "train_kl_T2"} <= set(header)
    assert {name: file_sha256(p) for name, p in paths.items()} == before
    with pytest.raises(ValueError, match="unknown distillation method 'dkd'"):
        build_method("dkd", teachers, {})


def test_the_classifier_table_keeps_methods_apart():
    import pandas as pd

    from kdgen.train.tables import classifier_table

    runs = pd.DataFrame(
        [
            {"dataset": "d", "subset": "full", "arch": "tiny", "aug": "weak", "method": m, "teachers": t, "seed": seed,
             "best_epoch": 2, "epochs": 2, "val_top1": v, "test_top1": v, "test_top5": 100.0}
            for m, t, seed, v in (("ce", "", 0, 50.0), ("ce", "", 1, 60.0), ("kd:T1w_Sw", "T1 tiny/weak/seed-0", 0, 70.0))
        ]
    )
    table = classifier_table(runs)
    assert list(table.columns[:7]) == ["dataset", "subset", "arch", "aug", "method", "teachers", "seeds"]
    assert table[["method", "seeds", "val_top1_mean"]].values.tolist() == [["ce", 2, 55.0], ["kd:T1w_Sw", 1, 70.0]]
    plain = classifier_table(runs[runs["method"] == "ce"].drop(columns=["method", "teachers"]))  # runs without a method are ce
    assert plain["method"].tolist() == ["ce"] and plain["teachers"].tolist() == [""]


# ----------------------------------------------------------------------------- resume


class Interrupt(Exception):
    pass


def _stop_after_epoch_1(line):
    if line.startswith("epoch 1/"):
        raise Interrupt  # the state of epoch 1 is on disk: as if the job were killed here


@pytest.mark.parametrize("teacher_mode", ["eval", "train"])
def test_resumed_distillation_equals_an_uninterrupted_one(tmp_path, teacher_mode):
    data = _data()
    path = _teacher_ckpt(data, tmp_path / "teacher.pt", seed=1)
    cfg = _cfg(epochs=3, teacher_mode=teacher_mode)

    def run(state_dir, log):  # everything built afresh, as a new process would
        student = build_classifier("tiny", data, seed=0)
        teacher = ClassifierTeacher.from_checkpoint(path)
        method = KnowledgeDistillation({"t": teacher})
        return fit(student, *data.train, *data.val, cfg, state_dir, method=method, progress=False, log=log), student, teacher

    whole, student_a, teacher_a = run(tmp_path / "a", lambda s: None)
    with pytest.raises(Interrupt):
        run(tmp_path / "b", _stop_after_epoch_1)
    resumed, student_b, teacher_b = run(tmp_path / "b", lambda s: None)
    assert whole.resumed_from == 0 and resumed.resumed_from == 1
    assert resumed.history == whole.history
    for a, b in ((student_a, student_b), (teacher_a, teacher_b)):  # train-mode teachers: their drifted statistics too
        for k, v in a.state_dict().items():
            assert torch.equal(v, b.state_dict()[k]), k


def test_a_mismatched_resume_is_an_error_naming_what_differs(tmp_path):
    data = _data()
    teacher, other_teacher = build_classifier("tiny", data, seed=1), build_classifier("tiny", data, seed=2)
    state = tmp_path / "state"
    with pytest.raises(Interrupt):
        fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(), state, method=KnowledgeDistillation({"t": teacher}), progress=False, log=_stop_after_epoch_1)

    def resume(method, train=data.train, **kw):
        return fit(build_classifier("tiny", data), *train, *data.val, _cfg(), state, method=method, **QUIET, **kw)

    with pytest.raises(TrainingError, match=r"method: 'kdgen.distill.kd.KnowledgeDistillation' -> 'kdgen.train.trainer.CrossEntropy'"):
        resume(CrossEntropy())
    with pytest.raises(TrainingError, match=r"teachers: t '[0-9a-f]{16}' -> '[0-9a-f]{16}'"):
        resume(KnowledgeDistillation({"t": other_teacher}))
    with pytest.raises(TrainingError, match=r"method settings: alpha 0.6 -> 0.5"):
        resume(KnowledgeDistillation({"t": teacher}, KDConfig(alpha=0.5)))
    with pytest.raises(TrainingError, match="training data: '"):
        resume(KnowledgeDistillation({"t": teacher}), train=(data.train[0], data.train[1].flip(0)))
    with pytest.raises(TrainingError, match="training data: '"):
        resume(KnowledgeDistillation({"t": teacher}), train_ids=torch.arange(len(data.train[0])) + 1)
    with pytest.raises(TrainingError, match=r"now: config: lr 0.05 -> 0.1\. Delete "):
        fit(build_classifier("tiny", data), *data.train, *data.val, _cfg(lr=0.1), state, method=KnowledgeDistillation({"t": teacher}), **QUIET)
    assert resume(KnowledgeDistillation({"t": teacher})).resumed_from == 1  # the same run still resumes
    old = torch.load(state / "state.pt", weights_only=True)
    del old["identity"]
    atomic_torch_save(old, state / "state.pt")
    with pytest.raises(TrainingError, match="records no run identity"):
        resume(KnowledgeDistillation({"t": teacher}))


# ----------------------------------------------------------------------------- augmentation


@pytest.fixture(scope="module")
def shapes():
    return _data(per_class=16, size=32).train[0]


def test_the_ladder_is_monotone_in_strength(shapes):
    crop_only = Augmentation("ladder-0", 32)(shapes, 7).float()
    change = [float((Augmentation(f"ladder-{k}", 32)(shapes, 7).float() - crop_only).abs().mean()) for k in (0, 1, 3, 5, 7, 10)]
    assert change[0] == 0.0
    assert all(a < b for a, b in pairwise(change)), change


# ----------------------------------------------------------------------------- analysis hooks


def test_metrics_csv_is_identical_across_two_runs(tmp_path):
    data = _data()
    outputs = []
    for run in "ab":
        model = build_classifier("tiny", data)
        method = KnowledgeDistillation({"t": build_classifier("tiny", data, seed=1)})
        result = fit(model, *data.train, *data.val, _cfg(), tmp_path / run / "state", method=method, **QUIET)
        d = tmp_path / run
        save_outputs(model, result, classifier_meta("tiny", data), d / "state", d / "best.pt", d / "last.pt", d / "metrics.csv", d / "timing.csv")
        outputs.append(d)
    a, b = ((d / "metrics.csv").read_bytes() for d in outputs)
    assert a == b and b"seconds" not in a and b"train_kl_t" in a
    timing = (outputs[0] / "timing.csv").read_text().splitlines()
    assert timing[0] == "epoch,seconds" and len(timing) == 3


def test_predict_logits_plain_and_under_a_seeded_augmentation():
    data = _data()
    model = build_classifier("tiny", data, seed=1)
    x, y = data.val
    logits = predict_logits(model, x, batch_size=7)
    assert logits.shape == (len(x), data.num_classes) and logits.dtype == torch.float32
    assert evaluate(model, x, y)["top1"] == pytest.approx(100.0 * float((logits.argmax(1) == y).float().mean()))
    strong = predict_logits(model, x, batch_size=7, augmentation="strong", seed=3)
    assert torch.equal(strong, predict_logits(model, x, batch_size=7, augmentation="strong", seed=3))
    # the views do not depend on the batch size (the logits only to rounding: other batch shapes)
    torch.testing.assert_close(predict_logits(model, x, batch_size=5, augmentation="strong", seed=3), strong, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(strong, logits) and not torch.allclose(strong, predict_logits(model, x, batch_size=7, augmentation="strong", seed=4))


@pytest.mark.parametrize("arch", [*sorted(ARCH_NAMES), "wrn_16_1"])
def test_cam_parts_give_the_logits_of_every_zoo_model(arch):
    size = 32
    torch.manual_seed(0)
    model = Normalized(build_model(arch, 5, size), [0.5] * 3, [0.25] * 3).eval()
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        features, weight, bias = cam_parts(model, x)
        assert features.ndim == 4 and features.shape[:2] == (2, weight.shape[1]) and weight.shape[0] == 5 and bias.shape == (5,)
        torch.testing.assert_close(features.mean((2, 3)) @ weight.T + bias, model(x), rtol=1e-4, atol=1e-5)
        bare = model.backbone
        torch.testing.assert_close(cam_parts(bare, model.standardize(x))[0], features)
