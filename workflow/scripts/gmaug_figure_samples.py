"""The gmaug samples figure of a dataset: per class, real images of the imbalanced subset beside each
generator's candidates that step 1 kept and rejected."""

import os
from collections.abc import Sequence

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.gmaug.figures import samples_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged


def as_list(paths: str | Sequence[str]) -> list[str]:
    """A named input as a list of paths (a single path is a list of one)."""
    return [paths] if isinstance(paths, str) else list(paths)


def accepted_mask(path: str) -> np.ndarray | None:
    """The filter's accepted mask over all candidates; None when the arm did not filter."""
    if not os.path.exists(path):
        return None
    with np.load(path) as selection:
        return selection["accepted"].astype(bool) if "accepted" in selection.files else None


with logged(snakemake.log[0]) as log:
    inp, p = snakemake.input, snakemake.params
    ds = load_dataset(inp.images, inp.manifest)
    subset = snakemake.input.get("subset")
    if subset:
        train = np.load(subset)
    else:
        with np.load(inp.splits) as splits:
            train = splits["train"]
    generators = []
    for name, candidates, selection in zip(p.generators, as_list(inp.candidates), as_list(inp.selections)):
        with np.load(candidates) as c:
            images, labels = c["images"], c["labels"]
        generators.append((name, images, labels, accepted_mask(selection)))
        log.info(
            "%s: %d candidates, filter mask %s", name, len(labels), "missing" if generators[-1][3] is None else "read"
        )
    fig = samples_figure(ds.images[train], ds.labels[train], [c.name for c in ds.classes], generators, int(p.per_class))
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s (%d real images, %d generators)", snakemake.output.png, len(train), len(generators))
