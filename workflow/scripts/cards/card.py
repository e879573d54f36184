"""A dataset's card in one job (one interpreter and one load of the dataset, where three jobs each paid
both): a grid of training samples (one row per class), the images per class in the training split and in
each long-tail subset, and the table of images per class and split (CSV and Markdown)."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.data.tables import split_count_table
from kdgen.plots.cards import class_count_figure, sample_grid_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged
from kdgen.tables import write_table

with logged(snakemake.log[0], snakemake.input) as log:
    inp, out, p, name = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards.dataset
    ds = load_dataset(inp.images, inp.manifest)
    with np.load(inp.splits) as f:
        splits = {k: f[k] for k in ("train", "val", "test")}
    train = splits["train"]
    grid = sample_grid_figure(ds.images[train], ds.labels[train], ds.classes, p.per_class, p.max_classes, seed=p.spec["seed"], title=name)
    save_figure(grid, out.samples_png, out.samples_pdf)
    n = len(ds.classes)
    counts = {"train split": np.bincount(ds.labels[train], minlength=n)}
    for path in inp.long_tail:
        ratio = path.rsplit("/", 1)[-1].removesuffix(".npy").removeprefix("lt-")
        counts[f"long tail r={ratio}"] = np.bincount(ds.labels[np.load(path)], minlength=n)
    save_figure(class_count_figure(counts, [c.name for c in ds.classes], title=name), out.counts_png, out.counts_pdf)
    write_table(split_count_table(ds.labels, splits, ds.classes), out.split_csv, out.split_md)
    log.info("%s: %d classes, %d train images, %d long-tail subsets", name, n, len(train), len(inp.long_tail))
