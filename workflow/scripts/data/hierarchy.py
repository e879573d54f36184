"""The class to super-class map of one dataset, as CSV."""

from kdgen.data.store import load_manifest
from kdgen.data.tables import hierarchy_table
from kdgen.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    table = hierarchy_table(load_manifest(snakemake.input.manifest))
    write_table(table, snakemake.output[0])
    log.info("%d classes in %d super-classes", len(table), table["superclass"].nunique())
