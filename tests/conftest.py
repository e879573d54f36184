"""Shared fixtures: the repository root, a WordNet for NLTK, the shared real MNIST digits."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_worker() -> None:
    """Under pytest-xdist the workers share the cores: torch in each takes one thread. Set in-process, not
    through OMP_NUM_THREADS, which every subprocess would inherit (GNU nproc reads it too: the SLURM
    test cluster would then offer one CPU)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def nltk_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WordNet corpus folder: $NLTK_DATA when it has one, else built from the system database."""
    from kdgen.data.wordnet import WordNetUnavailable, provision_wordnet

    search = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    try:
        result = provision_wordnet(tmp_path_factory.mktemp("nltk_data"), search, try_download=False)
    except WordNetUnavailable as err:
        pytest.skip(f"WordNet is not available here ({err}); install Debian's wordnet-base")
    return Path(result["nltk_data"])


@pytest.fixture(scope="session")
def wordnet(nltk_data: Path):
    from kdgen.data.wordnet import load_wordnet

    return load_wordnet(nltk_data)


@pytest.fixture(scope="session")
def mnist() -> np.ndarray:
    path = SHARED_DATA / "mnist_test_10k.npz"
    if not path.is_file():
        pytest.skip(f"real MNIST digits not found at {path} (they live beside the repository in this workplace)")
    with np.load(path) as data:
        return data["data"]


@pytest.fixture(scope="session", autouse=True)
def no_slurm_probe(tmp_path_factory: pytest.TempPathFactory):
    """The SLURM executor plugin runs `scontrol show config` when snakemake starts, even for a local run;
    with the client tools installed and no controller up (a machine whose SLURM tests have run, or run
    now on another worker and stop their cluster), it waits 10 s for an answer, on every one of the
    suite's ~40 snakemake starts. Outside the SLURM tests (which take this folder off PATH), an
    `scontrol` that fails at once stands first on PATH wherever SLURM's client tools are installed: the
    plugin then skips the probe as it does with no SLURM at all. Yields that folder, or None."""
    if shutil.which("scontrol") is None:
        yield None
        return
    folder = tmp_path_factory.mktemp("no-slurm-probe")
    fake = folder / "scontrol"
    fake.write_text("#!/bin/sh\necho 'no SLURM controller during the local tests (tests/conftest.py)' >&2\nexit 1\n")
    fake.chmod(0o755)
    before = os.environ["PATH"]
    os.environ["PATH"] = f"{folder}{os.pathsep}{before}"
    yield folder
    os.environ["PATH"] = before


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the SLURM tests last: once their cluster is stopped, the SLURM plugin's import-time
    `scontrol show config` probes time out (~9 s) on every later snakemake start on that machine."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`--numprocesses=auto`: one worker per core and one more (at most 4): the SLURM tests and the smoke
    build's tests each hold a worker and often wait (on SLURM, on snakemake's jobs) while the rest runs."""
    return min((os.cpu_count() or 1) + 1, 4)
