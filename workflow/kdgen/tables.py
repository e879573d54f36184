"""The shared table helpers: every study's tables are pandas frames written as CSV and Markdown, summed up
over replicates as mean and sample std (:func:`mean_std`) and shown in Markdown as ``mean ± std``
(:func:`readable`, :func:`mean_std_markdown`)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kdgen.runtime import atomic_write_text


def write_table(table: pd.DataFrame, csv_path: str | os.PathLike[str], md_path: str | os.PathLike[str] | None = None) -> None:
    atomic_write_text(csv_path, table.to_csv(index=False))
    if md_path is not None:
        atomic_write_text(md_path, table.to_markdown(index=False) + "\n")


def mean_std(frame: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Per group of ``by``: ``n`` and each column's mean and sample standard deviation (``<col>_std``, NaN
    for a single value); groups in order of appearance. A frame without rows gives the columns and no rows."""
    if not len(frame):
        return pd.DataFrame(columns=[*by, "n", *[x for c in columns for x in (c, f"{c}_std")]])
    grouped = frame.groupby(list(by), sort=False)
    mean, std = grouped[list(columns)].mean(), grouped[list(columns)].std(ddof=1)
    out = mean.copy()
    for c in columns:
        out[f"{c}_std"] = std[c]
    out.insert(0, "n", grouped.size())
    ordered = ["n", *[x for c in columns for x in (c, f"{c}_std")]]
    return out[ordered].reset_index()


def readable(table: pd.DataFrame, keys: Sequence[str], columns: Sequence[str], digits: int = 2) -> pd.DataFrame:
    """``keys`` and each of ``columns`` as one ``mean ± std`` text column (the std left out where it is
    NaN or the column has none): the Markdown view of a wide mean/std table."""
    out = table[list(keys)].copy()
    for c in columns:
        std = table[f"{c}_std"] if f"{c}_std" in table else pd.Series(np.nan, index=table.index)
        out[c] = [
            "" if pd.isna(m) else (f"{m:.{digits}f}" if pd.isna(s) else f"{m:.{digits}f} ± {s:.{digits}f}")
            for m, s in zip(table[c], std)
        ]
    return out


def mean_std_markdown(table: pd.DataFrame, keys: Sequence[str], columns: Sequence[str], digits: int | Mapping[str, int] = 2) -> str:
    """The Markdown view of a table of ``<c>_mean`` and ``<c>_std`` columns: ``keys`` as they are and each
    measure of ``columns`` (its base name, e.g. ``test_top1``, or a plain column such as ``gain_vs_Tm``) as
    ``mean ± std`` with ``digits`` decimals (one number, or one per column, default 2); rows without a std
    (a published value) keep their value alone, empty values stay empty."""
    view = table[list(keys)].copy()
    for c in columns:
        view[c] = table[f"{c}_mean"] if f"{c}_mean" in table else table[c]
        if f"{c}_std" in table:
            view[f"{c}_std"] = table[f"{c}_std"]
    shown = view[list(keys)].copy()
    for c in columns:
        places = digits.get(c, 2) if isinstance(digits, Mapping) else digits
        shown[c] = readable(view, [], [c], places)[c]
    for k in keys:  # nullable integers (n) and missing keys as plain text
        shown[k] = ["" if pd.isna(v) else str(v) for v in table[k]]
    return shown.to_markdown(index=False, disable_numparse=True)
