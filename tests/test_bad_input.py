"""Bad input (issue 25): every bad config and damaged file of the hostile run is one clear line naming the
key or the file and the fix, at planning where the config alone shows the problem; nothing wrong passes
silently."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from kdgen.config import ConfigError, device_problem, validate_config
from kdgen.config_file import load_config_file
from kdgen.data.sources import read_image_folder
from kdgen.data.store import ClassInfo, ImageDataset, load_dataset, save_dataset
from kdgen.runtime import DamagedFileError, InputError, check_inputs, load_torch_file
from kdgen.studies import config_problems
from kdgen.train.plan import DIGITS_CLASS_COUNTS


def smoke(repo: Path) -> dict:
    return yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())


def planning_problems(config: dict) -> str:
    """What planning says of ``config``: the schema's lines, then the checks the schema cannot make."""
    try:
        validated = validate_config(config)
    except ConfigError as err:
        return str(err)
    return "\n".join(config_problems(validated))


def set_path(config: dict, dotted: str, value) -> dict:
    config = copy.deepcopy(config)
    *parents, last = dotted.split(".")
    node = config
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return config


# --- config changes: one line at planning, naming the key, the value and what was expected ----------------

CASES = [
    ("datasets.shapes.image_size", 16.0, "datasets.shapes.image_size = 16.0: expected a value of type integer (a whole number"),
    ("training.epochs", 2.0, "training.epochs = 2.0: expected a value of type integer"),
    ("training.batch_size", 32.0, "training.batch_size = 32.0: expected a value of type integer"),
    ("classifiers.0.seeds", [0.0], "classifiers[0].seeds[0] = 0.0: expected a value of type integer"),
    ("datasets.digits.val_fraction", 0, "datasets.digits.val_fraction = 0: a classifier"),
    ("xkd.students", ["mix150"], 'xkd.students[0] = "mix150": expected a string matching'),
    ("gmaug.datasets.sib_lo.subset", "full", "gmaug.datasets.sib_lo.subset = 'full': gmaug re-balances a long-tailed training set"),
    ("models.weights", {"resnet18": "/nowhere/resnet18.pth"}, "models.weights.resnet18 = '/nowhere/resnet18.pth': no such file"),
    ("datasets.digits.ladder", [50, 5000], "datasets.digits.ladder = [50, 5000]: sizes [5000] exceed the"),
]  # fmt: skip


@pytest.mark.parametrize("key, value, expected", CASES, ids=[c[0] for c in CASES])
def test_a_bad_value_is_one_line_at_planning(repo, key, value, expected):
    message = planning_problems(set_path(smoke(repo), key, value))
    assert expected in message, message
    line = next(l for l in message.splitlines() if expected in l)
    assert key.split(".")[-1] in line and len(line) < 400


def test_the_digits_counts_are_scikit_learns():
    from sklearn.datasets import load_digits

    assert tuple(np.bincount(load_digits().target).tolist()) == DIGITS_CLASS_COUNTS


def test_a_config_validated_cleanly_before_stays_valid(repo):
    for path in [repo / "config.yaml", repo / "configs/smoke.yaml", *sorted((repo / "configs/paper").glob("*.yaml"))]:
        validate_config(load_config_file(path))


def test_the_device_is_judged_without_torch():
    assert device_problem("cpu") == ""
    no_gpu = not Path("/proc/driver/nvidia/version").exists()
    if no_gpu:
        assert "no NVIDIA driver" in device_problem("cuda:1") and "device: cpu" in device_problem("cuda:1")
    import sys as _sys

    assert ("macOS" in device_problem("mps")) == (_sys.platform != "darwin")


# --- config files: read strictly --------------------------------------------------------------------------

FILES = [
    ("seed: 0\ndatasets:\n  digits: {source: digits}\n  digits: {source: digits}\n", "4: the key 'digits' is given twice in one mapping (first at line 3)"),
    ("seed: 0\ndatasets: {a: 1\n", ":3:1: not valid YAML"),
    ("", "is empty; a config is a YAML mapping"),
    ("- a\n- b\n", "the top level is a list"),
    ("seed: 0\n\tdevice: cpu\n", ":2:1: not valid YAML"),
]  # fmt: skip


@pytest.mark.parametrize("text, expected", FILES, ids=["duplicate", "syntax", "empty", "list", "tab"])
def test_a_bad_config_file_is_one_line_with_its_place(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert str(path) in str(info.value) and expected in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_merge_keys_override_without_being_duplicates(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")
    assert load_config_file(path)["other"] == {"x": 1, "y": 3}


def test_snakemake_and_run_sh_give_one_line_for_bad_config_files(repo, tmp_path):
    def run(*args: str, via_run_sh: bool = False) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path), "-n", *args]
        if via_run_sh:
            cmd = ["bash", str(repo / "run.sh"), "snakemake", *cmd[3:]]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    (tmp_path / "dup.yaml").write_text((repo / "configs/smoke.yaml").read_text() + "seed: 3\n")
    proc = run("--configfile", str(tmp_path / "dup.yaml"))
    assert proc.returncode == 1 and "the key 'seed' is given twice" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "config.yaml").write_text("seed: [0\n")  # the default config.yaml of this working directory
    proc = run()
    assert proc.returncode == 1 and "config.yaml:2:1: not valid YAML" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("--configfile", str(tmp_path / "missing.yaml"), via_run_sh=True)
    assert proc.returncode == 1 and "missing.yaml does not exist" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "bad.yaml").write_text("seed: {0\n")
    proc = run("--configfile", str(tmp_path / "bad.yaml"), via_run_sh=True)
    assert proc.returncode == 1 and "bad.yaml:2:1: not valid YAML" in proc.stderr


# --- damaged files: the file named, and the fix ---------------------------------------------------------


@pytest.fixture()
def dataset_files(tmp_path):
    rng = np.random.default_rng(0)
    ds = ImageDataset(rng.integers(0, 255, (20, 8, 8, 3), dtype=np.uint8), np.repeat(np.arange(2), 10), np.zeros(20, np.uint8),
                      [ClassInfo("a", None, None), ClassInfo("b", None, None)], "synthetic", {})  # fmt: skip
    images, manifest = tmp_path / "images.npz", tmp_path / "manifest.json"
    save_dataset(ds, images, manifest, "toy")
    return images, manifest


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize(
    "damage, file, expected",
    [
        (lambda p: truncate(p), "images", "not a readable zip archive"),
        (lambda p: p.write_text(""), "images", "an empty file"),
        (lambda p: p.write_text("{garbage"), "manifest", "not valid JSON"),
        (lambda p: p.write_text("{}"), "manifest", "no source, classes, sha256, details in it"),
        (lambda p: p.write_text("[1, 2]"), "manifest", "expected a JSON object"),
    ],
    ids=["truncated-images", "emptied-images", "garbage-manifest", "empty-manifest", "list-manifest"],
)
def test_a_damaged_dataset_file_is_named_with_the_fix(dataset_files, damage, file, expected):
    images, manifest = dataset_files
    target = images if file == "images" else manifest
    damage(target)
    with pytest.raises(DamagedFileError) as info:
        load_dataset(images, manifest)
    message = str(info.value)
    assert message.startswith(str(target)) and expected in message and f"rm {target}" in message


def test_damaged_inputs_are_caught_before_a_job_reads_them(tmp_path):
    splits = tmp_path / "splits.npz"
    np.savez(splits, train=np.arange(10), val=np.arange(2), test=np.arange(3))
    subset = tmp_path / "size-5.npy"
    np.save(subset, np.arange(5))
    check_inputs([str(splits), str(subset), str(tmp_path)])  # whole files (and a folder) pass
    truncate(splits, 0.6)
    with pytest.raises(DamagedFileError, match="splits.npz: damaged .not a readable zip"):
        check_inputs([str(subset), str(splits)])
    np.savez(splits, train=np.arange(10))
    truncate(subset, 0.9)
    with pytest.raises(DamagedFileError, match=r"size-5.npy: damaged \(\d+ bytes where its header promises \d+\)"):
        check_inputs([str(splits), str(subset)])
    (tmp_path / "eval.json").write_text('{"top1": ')
    with pytest.raises(DamagedFileError, match="eval.json: damaged .not valid JSON"):
        check_inputs([str(tmp_path / "eval.json")])


def test_a_damaged_checkpoint_is_named(tmp_path):
    import torch

    path = tmp_path / "best.pt"
    torch.save({"w": torch.zeros(100)}, path)
    assert load_torch_file(path)["w"].shape == (100,)
    truncate(path, 0.5)
    with pytest.raises(DamagedFileError, match="best.pt: damaged"):
        load_torch_file(path)
    with zipfile.ZipFile(path, "w") as z:  # a zip, but not a checkpoint
        z.writestr("x", "y")
    with pytest.raises(DamagedFileError, match="best.pt: damaged"):
        load_torch_file(path, fix="download it again")


# --- image folders --------------------------------------------------------------------------------------


def image_folder(root: Path, classes: dict[str, int]) -> Path:
    from PIL import Image

    for name, n in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 40 * i % 255, np.uint8)).save(root / name / f"{i}.png")
    return root


@pytest.mark.parametrize(
    "classes, damage, expected",
    [
        ({"cat": 5, "dog": 5, "bird": 0}, None, "class folder(s) ['bird'] hold no images"),
        ({"cat": 5}, None, "1 class folder (cat); a classifier needs at least 2 classes"),
        ({"cat": 5, "dog": 5}, "truncate", "dog/0.png: cannot decode this image"),
        ({"cat": 5, "dog": 5}, "garbage", "dog/0.png: cannot decode this image"),
    ],
    ids=["empty-class", "one-class", "truncated-png", "corrupt-header"],
)
def test_an_unusable_image_folder_is_one_line(tmp_path, classes, damage, expected):
    root = image_folder(tmp_path / "folder", classes)
    png = root / "dog" / "0.png"
    if damage == "truncate":
        truncate(png, 0.6)
    elif damage == "garbage":
        png.write_bytes(b"\x89PNX" + png.read_bytes()[4:])
    with pytest.raises(InputError) as info:
        read_image_folder(root, 8, 0, 0.2)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_per_class_accuracy_of_a_class_without_images_is_none():
    import torch

    from kdgen.models.zoo import build_model
    from kdgen.train.trainer import evaluate

    model = build_model("tiny", 3)
    images = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    result = evaluate(model, images, torch.tensor([0, 0, 1, 1]), batch_size=4, device="cpu")
    assert result["per_class_top1"][2] is None and all(v is not None for v in result["per_class_top1"][:2])
    json.dumps(result)  # valid JSON: no NaN


# --- end to end: a damaged file in a real run -----------------------------------------------------------


def test_a_job_reading_a_damaged_file_fails_with_one_line(repo, tmp_path):
    config = smoke(repo)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path)]
    args = ["--cores", "1", "--configfile", str(repo / "configs/smoke.yaml")]
    subprocess.run(cmd + ["results/data/shapes/splits.npz", *args], check=True, capture_output=True, timeout=300)
    truncate(tmp_path / "results/data/shapes/images.npz", 0.5)
    proc = subprocess.run(cmd + ["results/data/shapes/card/samples.png", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    lines = {l for l in proc.stderr.splitlines() if l.startswith("error: ")}  # the job's line (and its log's)
    assert lines == {
        "error: results/data/shapes/images.npz: damaged (not a readable zip archive: File is not a zip file); "
        "delete it (rm results/data/shapes/images.npz) and run snakemake again: the rule that makes it rebuilds it"
    }, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and config["datasets"]["shapes"]


def test_a_cut_csv_of_the_workflow_is_damaged_and_a_users_file_gets_another_fix(tmp_path):
    made = tmp_path / "results" / "metrics.csv"
    made.parent.mkdir()
    made.write_text("epoch,loss\n0,1.5\n1,1.2\n")
    check_inputs([str(made)])
    made.write_text("epoch,loss\n0,1.5\n1,")
    with pytest.raises(DamagedFileError, match="truncated"):
        check_inputs([str(made)])
    made.write_text("epoch,loss\n0,1.5\n1\n")
    with pytest.raises(DamagedFileError, match="row 3 has not the 2 fields"):
        check_inputs([str(made)])
    made.write_text('epoch,note\n0,"two\nlines"\n')  # a quoted field may hold a newline
    check_inputs([str(made)])
    mine = tmp_path / "samples.npz"
    mine.write_bytes(b"not a zip")
    with pytest.raises(DamagedFileError, match="replace it with a whole copy"):
        check_inputs([str(mine)])
    (tmp_path / "map.csv").write_text("class,superclass\ncat,animal")  # the user's CSV: no final newline is fine
    check_inputs([str(tmp_path / "map.csv")])


def test_a_misspelt_wordnet_name_is_one_line_naming_the_key():
    from kdgen.data.sources import make_synthetic

    class NoWordNet:
        def synset(self, name):
            raise KeyError("n")

    with pytest.raises(InputError) as info:
        make_synthetic({"superclass_root": "plane_figur.n.01", "classes": []}, 8, 0, NoWordNet(), key="datasets.shapes.options")
    assert str(info.value).startswith("config error: datasets.shapes.options.superclass_root = 'plane_figur.n.01': not a WordNet")


@pytest.mark.skipif(Path("/proc/driver/nvidia/version").exists(), reason="this machine has an NVIDIA driver")
def test_cuda_on_a_machine_without_it_stops_a_local_run_before_any_job(repo, tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path)]
    args = ["results/data/shapes/splits.npz", "--configfile", str(repo / "configs/smoke.yaml"), "--config", "device=cuda"]
    proc = subprocess.run(cmd + ["-n", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0  # planning alone (or a cluster run) does not judge this machine
    proc = subprocess.run(cmd + ["--cores", "1", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "config error: device = 'cuda': this machine has no NVIDIA driver" in proc.stderr
    assert not (tmp_path / "results").exists() and not list((tmp_path / ".snakemake").glob("locks/*"))
