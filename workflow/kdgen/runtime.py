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
from typing import Any
from pathlib import Path


class InputError(RuntimeError):
    """What a job was given is wrong (a damaged file, an unusable input folder): the message is one line
    that names the file and says how to fix it, shown instead of a traceback."""


class DamagedFileError(InputError):
    """A file the workflow wrote earlier cannot be read back (truncated, overwritten, emptied)."""


REBUILD = "delete it (rm {path}) and run snakemake again: the rule that makes it rebuilds it"


def damaged(path: str | os.PathLike[str], why: str, fix: str = REBUILD) -> DamagedFileError:
    return DamagedFileError(f"{path}: damaged ({why}); {fix.format(path=path)}")


def load_torch_file(path: str | os.PathLike[str], fix: str = REBUILD) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU; a file that cannot be read raises
    :class:`DamagedFileError` naming it and ``fix``."""
    import pickle

    import torch

    why = file_problem(path)
    if why:
        raise damaged(path, why, fix)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, OSError, ValueError) as err:
        raise damaged(path, f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}", fix) from None


def _npy_problem(path: Path) -> str:
    import numpy as np

    with path.open("rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(fh)
        except ValueError as err:
            return f"not a NumPy array file: {err}"
        need = fh.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = path.stat().st_size
    return f"{size} bytes where its header promises {need}" if size < need else ""


def _csv_problem(path: Path) -> str:
    """A CSV the workflow wrote is whole: it ends with a newline and every row has the header's fields."""
    import csv
    import io

    text = path.read_text()
    if not text.endswith("\n"):
        return "it ends in the middle of a line (truncated)"
    rows = list(csv.reader(io.StringIO(text)))  # quoted fields may hold newlines
    width = len(rows[0])
    short = [i + 1 for i, r in enumerate(rows) if len(r) != width]
    return f"row {short[0]} has not the {width} fields of its header" if short else ""


def file_problem(path: str | os.PathLike[str]) -> str:
    """Why a file the workflow wrote cannot be what its suffix says (empty when it looks whole): a
    ``.npz``/``.pt``/``.pth`` that is no zip archive (its directory sits at the end: a truncated one has
    none), an ``.npy`` shorter than its header promises, a ``.json`` that does not parse, a ``.csv`` cut
    short (no final newline, a row of another width), an empty file. Cheap: it reads a zip's directory
    and an array's header, not their data (CSVs and JSON whole: the workflow's are small)."""
    import json
    import zipfile

    path = Path(path)
    if not path.is_file():
        return ""
    if path.stat().st_size == 0:
        return "an empty file"
    suffix = path.suffix.lower()
    try:
        if suffix in (".npz", ".pt", ".pth"):
            with zipfile.ZipFile(path) as archive:
                if not archive.namelist():
                    return "a zip archive with nothing in it"
        elif suffix == ".npy":
            return _npy_problem(path)
        elif suffix == ".json":
            json.loads(path.read_text())
        elif suffix == ".csv" and _made_here(path):
            return _csv_problem(path)
    except zipfile.BadZipFile as err:
        return f"not a readable zip archive: {err}"
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return f"not valid JSON: {err}"
    return ""


def _made_here(path: str | os.PathLike[str]) -> bool:
    """Whether the workflow wrote ``path`` (it sits under a ``results/`` folder) rather than the user."""
    return "results" in Path(path).parts


def check_inputs(inputs: Sequence[str] | Any) -> None:
    """Raise :class:`DamagedFileError` for the first input file that :func:`file_problem` rejects; the fix
    for a file of the user's (not under ``results/``) is a whole copy, not a re-run."""
    for item in inputs:
        for path in as_list(item) if not isinstance(item, (str, os.PathLike)) else [item]:
            why = file_problem(path)
            if why:
                raise damaged(path, why, REBUILD if _made_here(path) else "it is not the workflow's to rebuild: replace it with a whole copy")


@contextlib.contextmanager
def logged(log_path: str | os.PathLike[str], inputs: Sequence[str] | Any = ()) -> Iterator[logging.Logger]:
    """Send stdout, stderr (progress bars included) and a logger to ``log_path`` for the block, after
    checking that every file of ``inputs`` (a job's ``snakemake.input``) is readable (:func:`check_inputs`).

    An :class:`InputError` or a config error (a ``ValueError`` subclass named ``ConfigError``) is one line,
    ``error: <what, which file, how to fix>``, on the job's stderr and in the log, and the job exits 1.
    Any other exception is written to the log with its traceback and raised again, so Snakemake marks the
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
            check_inputs(inputs)
            yield logger
        except BaseException as err:
            if isinstance(err, InputError) or type(err).__name__ == "ConfigError":
                line = str(err).strip()
                line = line if line.startswith(("config error", "error")) else f"error: {line}"
                fh.write(line + "\n")  # what is wrong with the input, not where the code noticed it
                print(line, file=old_err)
                raise SystemExit(1) from None
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
