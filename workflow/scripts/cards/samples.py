"""Dataset card: a grid of training samples, one row per class."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.plots.cards import sample_grid_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]):
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        train = splits["train"]
    fig = sample_grid_figure(
        ds.images[train], ds.labels[train], ds.classes, snakemake.params.per_class,
        snakemake.params.max_classes, seed=snakemake.params.spec["seed"], title=snakemake.wildcards.dataset,
    )
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
