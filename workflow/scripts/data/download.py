"""Fetch a real dataset into results/downloads/<name> (opt-in: options.download in the config)."""

from kdgen.data.sources import download
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    spec = snakemake.params.spec
    log.info("downloading %s into %s", spec["source"], snakemake.output[0])
    download(spec["source"], snakemake.output[0], spec["options"])
