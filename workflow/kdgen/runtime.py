"""What every script entry point shares: its log file, writing files whole or not at all, and the
CPU model that benchmarks print beside their timings."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path


@contextlib.contextmanager
def logged(log_path: str | os.PathLike[str]) -> Iterator[logging.Logger]:
    """Send stdout, stderr (progress bars included) and a logger to ``log_path`` for the block.

    An exception is written to the log with its traceback and raised again, so Snakemake marks the
    job failed and points at the log.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("kdgen")
    with path.open("w", buffering=1) as fh:
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = fh
        try:
            yield logger
        except BaseException:
            fh.write(traceback.format_exc())
            raise
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            logger.removeHandler(handler)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` only when the block succeeds,
    so no half-written file is ever left under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial{os.getpid()}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def atomic_write_rows(path: str | os.PathLike[str], rows: list[dict[str, object]]) -> None:
    """Write ``rows`` (dicts with the same keys, in column order) as a CSV file with a header, whole or not
    at all; the file ``pandas.DataFrame(rows).to_csv(path, index=False)`` writes, without importing pandas
    (0.4 s of a job's start) in a training job."""
    import csv

    if not rows:
        raise ValueError(f"no rows to write to {path}")
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def atomic_torch_save(obj: object, path: str | os.PathLike[str]) -> None:
    """``torch.save`` whole or not at all."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def as_list(paths: str | Sequence[str]) -> list[str]:
    """A named input of a job as a list of paths (Snakemake gives a single path as a string)."""
    return [paths] if isinstance(paths, str) else list(paths)


def cpu_model() -> str:
    """The CPU's model name (timings differ about 2x between the CPUs of one machine kind)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"
