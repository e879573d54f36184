"""Dataset card: images per class and split, as CSV and Markdown."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.data.tables import split_count_table
from kdgen.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0]):
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        table = split_count_table(ds.labels, {k: splits[k] for k in ("train", "val", "test")}, ds.classes)
    write_table(table, snakemake.output.csv, snakemake.output.md)
