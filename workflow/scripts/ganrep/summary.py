"""The ganrep curves over seeds: per generator, dataset and size, mean and spread of replication %,
ratio-test replication % and FID, beside the ID of the training subset."""

import pandas as pd

from kdgen.ganrep.fits import curve_means
from kdgen.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    table = curve_means(pd.read_csv(snakemake.input[0]), snakemake.params.alpha).round(3)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d curve points over %s seeds", len(table), sorted(table["seeds"].unique().tolist()))
