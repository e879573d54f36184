"""Profiles: the settings a SLURM invocation ends up with are the ones written in profiles/slurm.

Snakemake loads profiles/default as the workflow profile on every run and applies it after any
--profile, key by key; the two profiles must therefore share no key.
"""

import pytest
import yaml
from snakemake.cli import parse_args
from snakemake.settings.types import MaxJobsPerTimespan


def _profile(repo, name):
    return yaml.safe_load((repo / "profiles" / name / "config.yaml").read_text())


def test_workflow_profile_and_slurm_profile_share_no_key(repo):
    shared = set(_profile(repo, "default")) & set(_profile(repo, "slurm"))
    assert not shared, f"profiles/default would override these keys of profiles/slurm: {sorted(shared)}"


def test_parsed_slurm_invocation_has_the_slurm_profile_settings(repo, monkeypatch):
    monkeypatch.chdir(repo)
    slurm, default = _profile(repo, "slurm"), _profile(repo, "default")
    _, args = parse_args(["--profile", "profiles/slurm", "-n"])
    scalars = {k: v for k, v in slurm.items() if not isinstance(v, dict)}
    assert scalars, "profiles/slurm sets scalar options"
    for key, value in scalars.items():
        assert getattr(args, key.replace("-", "_")) == value, key
    for key, value in slurm["default-resources"].items():
        if not isinstance(value, str):
            assert args.default_resources[key].value == value, key
    assert {"slurm_account", "slurm_partition"} <= set(args.default_resources.keys())
    for rule, resources in slurm["set-resources"].items():
        for key, value in resources.items():
            assert args.set_resources[rule][key].value == value, (rule, key)
    for key, value in default.items():  # the workflow profile still applies where slurm is silent
        parsed = getattr(args, key.replace("-", "_"))
        if key == "max-jobs-per-timespan":  # parsed into snakemake's own type
            expected = MaxJobsPerTimespan.parse_choice(value)
            assert (parsed.max_jobs, parsed.timespan) == (expected.max_jobs, expected.timespan), key
        else:
            assert parsed == value, key
    # the polling that issue 22 cut: a scheduling round every 3 s, not every second (and not every minute:
    # snakemake waits out the last window before it exits), local or on a cluster
    assert args.max_jobs_per_timespan.timespan == 3 and args.scheduler == "greedy"


def test_local_invocation_uses_the_workflow_profile_only(repo, monkeypatch):
    monkeypatch.chdir(repo)
    _, args = parse_args(["-n"])
    assert args.executor in (None, "local") and args.latency_wait == 5  # snakemake's own default
    assert args.rerun_incomplete is True and not args.printshellcmds
    assert args.max_jobs_per_timespan.timespan == 3 and args.scheduler == "greedy"


@pytest.mark.parametrize("key", ["latency-wait", "printshellcmds"])
def test_a_key_added_to_the_slurm_profile_would_take_effect(repo, tmp_path, monkeypatch, key):
    """A user's own cluster profile wins for every key the workflow profile does not hold."""
    profile = tmp_path / "mycluster"
    profile.mkdir()
    value = {"latency-wait": 123, "printshellcmds": True}[key]
    (profile / "config.yaml").write_text(yaml.safe_dump({**_profile(repo, "slurm"), key: value}))
    monkeypatch.chdir(repo)
    _, args = parse_args(["--profile", str(profile), "-n"])
    assert getattr(args, key.replace("-", "_")) == value
