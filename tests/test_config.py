"""The config schema: defaults, and one clear line per problem (key path, value, expectation)."""

import copy
import subprocess
import sys

import pytest
import yaml

from kdgen.config import ConfigError, load_schema, validate_config
from kdgen.data import synthetic


@pytest.fixture()
def default_config(repo):
    return yaml.safe_load((repo / "config.yaml").read_text())


def _problems(config):
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    return str(info.value)


def test_shipped_configs_are_valid_and_defaults_are_filled(repo):
    for path in [repo / "config.yaml", *sorted((repo / "configs").glob("*.yaml"))]:
        validate_config(yaml.safe_load(path.read_text()), source=str(path))
    smoke = validate_config(yaml.safe_load((repo / "configs" / "smoke.yaml").read_text()))
    digits = smoke["datasets"]["digits"]
    assert digits["val_fraction"] == 0.1 and digits["options"] == {"test_fraction": 0.2}
    assert smoke["wordnet"] == {"download": True, "system_dir": "/usr/share/wordnet"}
    assert smoke["datasets"]["shapes"]["options"]["factors"] == list(synthetic.FACTORS)


def test_unknown_key_names_path_value_and_known_keys(default_config):
    default_config["datasets"]["shapes"]["options"]["colours"] = 3
    message = _problems(default_config)
    assert "datasets.shapes.options.colours = 3: unknown key" in message
    assert "'factors'" in message and "1 problem" in message


def test_wrong_type_and_out_of_range_values(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["datasets"]["shapes"]["image_size"] = 4
    cfg["datasets"]["digits"]["val_fraction"] = "a lot"
    cfg["datasets"]["shapes"]["ladder"] = [10, -3]
    cfg["device"] = "tpu"
    message = _problems(cfg)
    assert "datasets.shapes.image_size = 4: expected a number >= 8" in message
    assert 'datasets.digits.val_fraction = "a lot": expected a value of type number' in message
    assert "datasets.shapes.ladder[1] = -3: expected a number >= 1" in message
    assert 'device = "tpu": expected a string matching' in message
    assert "4 problems" in message


def test_source_specific_options_and_names(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["datasets"]["digits"]["options"]["classes"] = ["circle.n.01"]
    cfg["datasets"]["shapes"]["options"]["classes"] = ["circle.n.01", "cube.n.01"]
    cfg["datasets"]["bad-name"] = {"source": "digits"}
    cfg["datasets"]["folder"] = {"source": "image_folder"}
    message = _problems(cfg)
    assert "datasets.digits.options.classes" in message and "unknown key; expected one of ['test_fraction']" in message
    assert 'datasets.shapes.options.classes[1] = "cube.n.01": expected one of' in message
    assert 'datasets.bad-name: the name "bad-name" is not allowed' in message
    assert "datasets.folder.options.root is missing" in message


def test_schema_shapes_match_the_renderer():
    schema = load_schema()
    enum = schema["$defs"]["synthetic"]["properties"]["classes"]["items"]["enum"]
    assert sorted(enum) == sorted(synthetic.SHAPES)
    assert schema["$defs"]["synthetic"]["properties"]["factors"]["items"]["enum"] == list(synthetic.FACTORS)


def test_snakemake_reports_a_bad_config_without_a_traceback(repo, tmp_path, default_config):
    default_config["datasets"]["shapes"]["seed"] = -1
    default_config["datasets"]["cifar"] = {"source": "cifar10", "options": {"root": str(tmp_path / "nope")}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(default_config))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "datasets.shapes.seed = -1: expected a number >= 0" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and 'File "' not in proc.stderr
    # the config is checked before the data: the schema error stops it first
    good = yaml.safe_load((repo / "config.yaml").read_text())
    good["datasets"]["cifar"] = {"source": "cifar10", "options": {"root": str(tmp_path / "nope")}}
    bad.write_text(yaml.safe_dump(good))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert f"datasets.cifar.options.root = '{tmp_path / 'nope'}': no such folder" in proc.stderr
    assert "cifar-10-python.tar.gz" in proc.stderr and "Traceback" not in proc.stderr


def test_classifier_entries_are_checked(repo, tmp_path, default_config):
    default_config["classifiers"] = [{"dataset": "shapes", "arch": "resnet9", "aug": "medium"}]
    message = _problems(default_config)
    assert 'classifiers[0].arch = "resnet9": expected a string matching' in message
    assert 'classifiers[0].aug = "medium": expected a string matching' in message
    default_config["classifiers"] = [{"dataset": "cifar", "arch": "resnet8"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(default_config))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0 and "classifiers[0].dataset = 'cifar': not a configured dataset" in proc.stderr


def test_ganrep_sizes_must_leave_the_id_estimate_enough_neighbours(default_config):
    from kdgen.studies import config_problems

    config = validate_config(default_config)
    assert config_problems(config) == []
    config["ganrep"]["sizes"] = [20, 64]
    assert any("ganrep.sizes holds 20: the ID estimate needs more than k_max = 20" in p for p in config_problems(config))
    config["ganrep"]["sizes"], config["ganrep"]["id_bootstrap"] = [24, 64], 10
    assert any("bootstrapped IDs need sets of at least 63" in p for p in config_problems(config))
    config["ganrep"]["sizes"] = [63, 128]
    assert config_problems(config) == []


def _teacher_on(config, name, spec, student="digits", subset="full"):
    """The smoke student (on ``student``, ``subset``) with one teacher, on a new dataset ``name``."""
    config["datasets"][name] = spec
    config["distill"]["students"][0].update(dataset=student, subset=subset, name="free", teachers=[{"arch": "tiny", "dataset": name}])


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["classifiers"][0].update(aug="ladder-11"), "classifiers[0].aug = 'ladder-11': ladder level must be 0..10"),
        (lambda c: c["classifiers"][0].update(aug="randaugment-2-31"), "classifiers[0].aug = 'randaugment-2-31': RandAugment magnitude must be 0..30"),
        (lambda c: c["classifiers"][0].update(arch="wrn_15_2"), "classifiers[0].arch = 'wrn_15_2': WRN depth must be 6n+4"),
        (lambda c: c["classifiers"][1].update(subset="size-999"), "classifiers[1].subset = 'size-999': not a subset of dataset 'shapes'"),
        (lambda c: c["datasets"]["shapes"].update(ladder=[12, 40, 65]), "datasets.shapes.ladder = [12, 40, 65]: sizes [65] exceed the 64 images"),
        (lambda c: c["ganrep"].update(sizes=[24, 70]), "ganrep.sizes = [24, 70]: sizes [70] exceed the 64 images of the train split of 'shapes'"),
        (lambda c: c["ganrep"].update(fid_classifier="resnet9"), "ganrep.fid_classifier = 'resnet9': unknown architecture"),
        # distillation: a teacher that cannot be built, or not for this student
        (lambda c: c["distill"]["students"][0]["teachers"][1].update(arch="wrn_15_2"),
         "distill.students[0].teachers[1].arch = 'wrn_15_2': WRN depth must be 6n+4"),
        (lambda c: (c["distill"]["students"][0].update(name="free"), c["distill"]["students"][0]["teachers"][0].update(aug="randaugment-2-31")),
         "distill.students[0].teachers[0].aug = 'randaugment-2-31': RandAugment magnitude must be 0..30"),
        (lambda c: c["distill"]["students"][0].update(arch="wrn_16_0"), "distill.students[0].arch = 'wrn_16_0': WRN width must be at least 1"),
        (lambda c: c["distill"]["students"][0]["teachers"][0].update(dataset="shapes"),
         "distill.students[0].teachers[0].dataset = 'shapes': 4 classes, but the student's dataset 'digits' has 10; a teacher must predict the student's classes"),
        (lambda c: c["distill"]["students"][0]["teachers"][1].update(dataset="ghost"),
         "distill.students[0].teachers[1].dataset = 'ghost': not a configured dataset"),
        (lambda c: _teacher_on(c, "digits2", {"source": "digits"}, subset="size-50"),
         "distill.students[0].teachers[0].subset = 'size-50' (the student's): not a subset of dataset 'digits2'"),
        (lambda c: _teacher_on(c, "shapes2", {**c["datasets"]["shapes"], "options": {"classes": ["star.n.05", "square.n.01", "circle.n.01", "ellipse.n.01"]}}, student="shapes"),
         "distill.students[0].teachers[0].dataset = 'shapes2': its 4 classes are not those of the student's dataset 'shapes'"),
        (lambda c: (c["distill"]["students"][0].update(name="free"), c["distill"]["students"][0]["teachers"].append({"arch": "tiny", "aug": "strong", "seed": 1})),
         "distill.students[0].teachers[2]: the same classifier run as teachers[1] (digits/size-50/tiny/strong/1)"),
        (lambda c: c["distill"]["students"].append(dict(c["distill"]["students"][0])),
         "distill.students[1].name = 'T1w_T2s_Sw': distill.students[0] has the same dataset, subset, arch, aug and name"),
        # a name in the paper's form says what the run is
        (lambda c: c["distill"]["students"][0].update(name="T1w_T2x_Sw"), "distill.students[0].name = 'T1w_T2x_Sw': 'T2x' should be T2w or T2s"),
        (lambda c: c["distill"]["students"][0].update(name="T1w_T3s_Sw"), "distill.students[0].name = 'T1w_T3s_Sw': 'T3s' should be T2w or T2s"),
        (lambda c: c["distill"]["students"][0].update(name="T1w_T2s_S"), "distill.students[0].name = 'T1w_T2s_S': 'S' should be Sw or Ss"),
        (lambda c: c["distill"]["students"][0].update(name="T1w_Sw"), "distill.students[0].name = 'T1w_Sw': names 1 teacher but the student lists 2"),
        # (without the lfkd block, whose T1w_T2w_Sw student would also share the folder: tested in test_lfkd.py)
        (lambda c: (c.pop("lfkd"), c["distill"]["students"][0].update(name="T1w_T2w_Sw")),
         "distill.students[0].name = 'T1w_T2w_Sw': 'T2w' says weak, but teacher T2 is trained with aug 'strong'"),
        (lambda c: c["distill"]["students"][0].update(name="T1w_T2s_Ss"),
         "distill.students[0].name = 'T1w_T2s_Ss': 'Ss' says strong, but the student is trained with aug 'weak'"),
    ],
)
def test_names_and_sizes_that_would_fail_inside_a_job_are_config_errors(repo, mutate, expected):
    """Each of these passed planning and failed (or would) inside a job; now one clear line each."""
    from kdgen.studies import config_problems

    smoke = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    assert config_problems(validate_config(smoke)) == []
    mutate(smoke)
    problems = config_problems(validate_config(smoke))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_config_check_error_stops_planning_with_one_line(repo, tmp_path):
    smoke = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    smoke["classifiers"][0]["arch"] = "wrn_15_2"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(smoke))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0 and "classifiers[0].arch = 'wrn_15_2': WRN depth must be 6n+4" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_wrn_depth_check_is_the_one_build_model_uses():
    from kdgen.models.zoo import ModelError, architecture_problem, build_model

    assert architecture_problem("wrn_16_2") is None and architecture_problem("wrn_40_1") is None
    for bad in ("wrn_15_2", "wrn_4_1", "wrn_16_0"):
        assert architecture_problem(bad)
        with pytest.raises(ModelError):
            build_model(bad, 10)


def test_the_torch_free_names_are_the_zoo_and_the_policies():
    """The names the config check and the wildcards use (no torch import) are exactly what builds."""
    import re

    from kdgen.models.architectures import ARCH_NAMES, ARCH_PATTERN
    from kdgen.models.zoo import ARCHITECTURES
    from kdgen.train.augment import Augmentation
    from kdgen.train.policies import POLICY_PATTERN, policy_problem

    assert set(ARCH_NAMES) == set(ARCHITECTURES)
    assert all(re.fullmatch(ARCH_PATTERN, n) for n in [*ARCHITECTURES, "wrn_28_10"]) and not re.fullmatch(ARCH_PATTERN, "resnet9")
    for name in ("none", "base", "weak", "strong", "randaugment-2-9", "ladder-0", "ladder-10"):
        assert re.fullmatch(POLICY_PATTERN, name) and policy_problem(name) is None
        Augmentation(name, 32)


def test_parsing_the_workflow_does_not_import_torch(repo):
    code = (
        "import sys; sys.path.insert(0, 'workflow')\n"
        "import kdgen.config, kdgen.data.sources, kdgen.models.architectures, kdgen.train.policies, kdgen.studies, kdgen.lfkd.tables\n"
        "print('torch' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stdout + proc.stderr


def test_ganrep_sizes_per_dataset(repo):
    """One ladder per dataset (the paper's differ): every ganrep dataset needs one, no stray ones, each checked."""
    from kdgen.ganrep.plan import ganrep_sizes
    from kdgen.studies import config_problems

    smoke = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    smoke["ganrep"]["sizes"] = {"shapes": [24, 48]}
    config = validate_config(smoke)
    assert config_problems(config) == [] and ganrep_sizes(config["ganrep"], "shapes") == [24, 48]
    smoke["ganrep"]["sizes"] = {"shapes": [24, 70], "digits": [30]}
    problems = config_problems(validate_config(smoke))
    assert any(p.startswith("ganrep.sizes.shapes = [24, 70]: sizes [70] exceed the 64 images") for p in problems)
    assert any(p.startswith("ganrep.sizes.digits: not one of ganrep.datasets") for p in problems)
    smoke["ganrep"]["sizes"] = {"digits": [30]}
    assert any("ganrep.sizes has no ladder for 'shapes'" in p for p in config_problems(validate_config(smoke)))


def _smoke(repo):
    return yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())


def test_distill_block_defaults_and_free_student_names(repo):
    from kdgen.distill.plan import student_runs, student_teachers
    from kdgen.studies import all_students, config_problems, trained_classifier_runs

    config = validate_config({k: v for k, v in _smoke(repo).items() if k not in ("lfkd", "xkd")})  # distill.students alone
    d = config["distill"]
    assert (d["alpha"], d["beta"], d["temperature"], d["teacher_mode"]) == (0.6, 0.4, 3, "eval")
    student = d["students"][0]
    assert (student["method"], student["seeds"], student["teachers"][1]["seed"]) == ("kd", [0], 1)
    assert [t["name"] for t in student_teachers(student)] == ["T1", "T2"]
    assert student_runs(all_students(config)) == [
        {"dataset": "digits", "train_subset": "size-50", "arch": "tiny", "aug": "weak", "method": "kd", "student": "T1w_T2s_Sw", "seed": 0}
    ]
    # the teachers are classifier runs even where the classifiers list does not name them (T2, on the
    # student's subset), once each (T1 is the digits classifier, on the subset it names)
    runs = trained_classifier_runs(config)
    assert runs[-1] == {"dataset": "digits", "train_subset": "size-50", "arch": "tiny", "aug": "strong", "seed": 1} and len(runs) == 3
    for name in ("my_ensemble_2", "Teacher_Student", "T1s_T2w_T3s_Sw_v2", "x"):  # free names need not follow the paper
        smoke = _smoke(repo)
        smoke["distill"]["students"][0]["name"] = name
        assert config_problems(validate_config(smoke)) == [], name
    smoke = _smoke(repo)  # the paper's form with one and with three teachers
    smoke["distill"]["students"][0].update(name="T1s_Sw", teachers=[{"arch": "tiny", "aug": "strong"}])
    assert config_problems(validate_config(smoke)) == []
    smoke["distill"]["students"][0].update(name="T1s_T2w_T3s_Sw", teachers=[{"arch": "tiny", "aug": a, "seed": k} for k, a in enumerate(["strong", "weak", "strong"])])
    assert config_problems(validate_config(smoke)) == []


def test_distill_schema_errors_are_one_line_each(repo):
    smoke = _smoke(repo)
    smoke["distill"]["teacher_mode"] = "batch"
    smoke["distill"]["students"][0]["name"] = "T1w-T2s"
    smoke["distill"]["students"][0]["temperature"] = 4
    smoke["distill"]["students"][0]["teachers"][1]["arch"] = "resnet9"
    smoke["distill"]["students"][0]["teachers"][0]["aug"] = "medium"
    smoke["distill"]["students"].append({"dataset": "digits", "arch": "tiny", "name": "lonely", "teachers": []})
    message = _problems(smoke)
    assert "6 problems" in message
    assert 'distill.teacher_mode = "batch": expected one of [\'eval\', \'train\']' in message
    assert 'distill.students[0].name = "T1w-T2s": expected a string matching ^[A-Za-z0-9_]+$' in message
    assert "distill.students[0].temperature = 4: unknown key" in message
    assert 'distill.students[0].teachers[1].arch = "resnet9": expected a string matching' in message
    assert 'distill.students[0].teachers[0].aug = "medium": expected a string matching' in message
    assert "distill.students[1].teachers = []: expected at least 1 items" in message


def test_a_distill_error_stops_planning_with_one_line(repo, tmp_path):
    smoke = _smoke(repo)
    smoke["distill"]["students"][0]["teachers"][0]["dataset"] = "shapes"  # on its full train split
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(smoke))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)], cwd=repo, capture_output=True, text=True, timeout=120
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    lines = [line for line in proc.stderr.splitlines() if "distill.students" in line]
    assert lines == ["  - distill.students[0].teachers[0].dataset = 'shapes': 4 classes, but the student's dataset 'digits' has 10; "
                     "a teacher must predict the student's classes"], proc.stderr
