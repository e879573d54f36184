"""Decay fits of this run, the shared factor, one-shot estimates and minimal dataset sizes."""

import pandas as pd

from kdgen.ganrep.fits import fit_runs
from kdgen.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    out = fit_runs(pd.read_csv(snakemake.input[0]), snakemake.params.alpha, snakemake.params.target)
    write_table(out["fits"], snakemake.output.fits, snakemake.output.fits_md)
    write_table(out["one_shot"], snakemake.output.one_shot, snakemake.output.one_shot_md)
    write_table(out["minimal_size"], snakemake.output.minimal, snakemake.output.minimal_md)
    log.info("shared factor a: mean %.4f std %.4f", out["fits"]["a"].mean(), out["fits"]["a"].std())
