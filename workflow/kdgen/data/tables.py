"""The data stage's tables: images per class and split (the dataset card), the class -> super-class map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kdgen.data.store import ClassInfo


def split_count_table(labels: np.ndarray, splits: Mapping[str, np.ndarray], classes: Sequence[ClassInfo]) -> pd.DataFrame:
    """Images per class and split, with a total column and a final ``all`` row."""
    n = len(classes)
    table = pd.DataFrame(
        {
            "class_index": np.arange(n),
            "class": [c.name for c in classes],
            "superclass": [c.superclass or "" for c in classes],
            **{name: np.bincount(labels[idx], minlength=n) for name, idx in splits.items()},
        }
    )
    table["total"] = table[list(splits)].sum(axis=1)
    totals = {"class_index": "", "class": "all", "superclass": "", **table[[*splits, "total"]].sum().to_dict()}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def hierarchy_table(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Class -> super-class map of a dataset manifest (super-class index in sorted-name order)."""
    supers = {name: i for i, name in enumerate(manifest["superclasses"])}
    rows = [
        {
            "class_index": c["index"],
            "class": c["name"],
            "wnid": c["wnid"] or "",
            "superclass_index": supers.get(c["superclass"], -1),
            "superclass": c["superclass"] or "",
        }
        for c in manifest["classes"]
    ]
    return pd.DataFrame(rows)
