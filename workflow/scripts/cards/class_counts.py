"""Dataset card: images per class in the training split and in each long-tail subset."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.plots.cards import class_count_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]):
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    n = len(ds.classes)
    with np.load(snakemake.input.splits) as splits:
        counts = {"train split": np.bincount(ds.labels[splits["train"]], minlength=n)}
    for path in snakemake.input.long_tail:
        name = path.rsplit("/", 1)[-1].removesuffix(".npy")
        counts[f"long tail r={name.removeprefix('lt-')}"] = np.bincount(ds.labels[np.load(path)], minlength=n)
    fig = class_count_figure(counts, [c.name for c in ds.classes], title=snakemake.wildcards.dataset)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
