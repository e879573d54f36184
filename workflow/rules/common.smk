# What every rules file shares: the workflow's own import path, the config check, the wildcard
# constraints of the shared stages, the result paths of the shared stages, and generic helpers. A study's
# paths, input functions and wildcard constraints live at the top of its own rules file.
import os
import re
import sys

# The workflow runs its own library, from its own folder: found from this file (workflow/rules/), not
# from the working directory or the host's Snakefile when kdgen is used as a module, and put first on the
# import path of this process and of every job (scripts, SLURM jobs and --sdm conda envs inherit it).
KDGEN_ROOT = os.path.dirname(os.path.dirname(str(workflow.current_basedir)))
KDGEN_LIBRARY = os.path.join(KDGEN_ROOT, "workflow")
sys.path.insert(0, KDGEN_LIBRARY)
_inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != KDGEN_LIBRARY]
os.environ.update(PYTHONPATH=os.pathsep.join([KDGEN_LIBRARY, *_inherited]))

from kdgen.config import ConfigError, device_problem, validate_config
from kdgen.config_file import load_config_file
from kdgen.models.architectures import ARCH_PATTERN
from kdgen.studies import TEACHER_KINDS, all_students, config_problems, trained_classifier_runs
from kdgen.train.policies import POLICY_PATTERN

# The config file, read strictly before Snakemake parses it: config.yaml (unless --configfile replaces
# it) before the configfile directive below, and every --configfile (which Snakemake parsed already)
# again for keys given twice; a problem is one line and the run stops (kdgen.config_file).
try:
    for _path in workflow.overwrite_configfiles or ["config.yaml"]:
        if workflow.overwrite_configfiles or os.path.exists(_path):
            load_config_file(_path)
except ConfigError as err:
    print(err, file=sys.stderr)
    sys.exit(1)


# A --configfile on the command line replaces config.yaml instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


try:
    _validated = validate_config(
        config,
        source=", ".join(map(str, workflow.overwrite_configfiles)) or "config.yaml",
    )
    _problems = config_problems(_validated)
    if _problems:
        raise ConfigError("config error:\n  - " + "\n  - ".join(_problems))
except ConfigError as err:
    print(err, file=sys.stderr)
    sys.exit(1)
config.clear()
config.update(_validated)


# The device is judged when the run starts (the executor is known then, not while the Snakefile is read),
# before any job, and only for a run whose jobs execute on this machine: a cluster's GPU nodes are not
# this machine, and a dry run runs nothing.
onstart:
    if workflow.local_exec and not workflow.remote_exec:
        _device = device_problem(config["device"])
        if _device:
            print(f"config error: {_device}", file=sys.stderr)
            sys.exit(1)


def names_pattern(names):
    """A wildcard regex matching exactly the given names (and nothing when there are none)."""
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


# Wildcards match only configured datasets and buildable architectures and policies, so a misspelt target
# is "no rule to produce" at planning time, never a KeyError or a failed job (each study's rules file
# constrains its own wildcards the same way).
wildcard_constraints:
    dataset=names_pattern(config["datasets"]),
    subset=r"size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    train_subset=r"full|size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    arch=ARCH_PATTERN,
    aug=POLICY_PATTERN,
    seed=r"[0-9]+",
    size=r"[0-9]+",
    method=names_pattern(sorted({s["method"] for s in all_students(config)})),
    student=names_pattern(sorted({s["name"] for s in all_students(config)})),


# The shared stages' results, which the studies build on: datasets, classifier runs, distilled students.
# Cheap rules (figures, tables, splits, subsets, downloads) say `localrule: True`: they run where snakemake
# runs, never waiting in a cluster queue (downloads need the network, which compute nodes often lack).
DATA = "results/data/{dataset}"
LOGS = "results/logs/data/{dataset}"
BENCH = "results/benchmarks/data/{dataset}"
TRAIN = "results/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}"
TRAIN_LOGS = "results/logs/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}"
DISTILL = "results/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"
DISTILL_LOGS = "results/logs/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"
DISTILL_BENCH = "results/benchmarks/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"


def reference(name):
    """A published measurement shipped with the workflow (reference/<name>), found from the workflow's own
    folder, whatever the working directory, and from the module's folder when kdgen is a Snakemake module."""
    return os.path.join(KDGEN_ROOT, "reference", name)


def dataset_files(wildcards):
    """A dataset's images, manifest and splits."""
    return {
        k: f"results/data/{wildcards.dataset}/{k}.{ext}"
        for k, ext in (("images", "npz"), ("manifest", "json"), ("splits", "npz"))
    }


def on_gpu():
    return config["device"].startswith("cuda")


def gpu_count(wildcards):
    """Training and generation rules ask for one GPU when the config's device is cuda."""
    return 1 if on_gpu() else 0


def heavy_mem_mb(wildcards, attempt):
    return (16000 if on_gpu() else 6000) * attempt


def heavy_runtime(wildcards, attempt):
    return (720 if on_gpu() else 240) * attempt
