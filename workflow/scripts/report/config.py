"""The resolved config (schema defaults filled in) as YAML, for the report."""

import yaml

from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    header = "# The config of this run, every schema default filled in (workflow/schemas/config.schema.yaml).\n"
    atomic_write_text(snakemake.output[0], header + yaml.safe_dump(dict(snakemake.params.config), sort_keys=False))
    log.info("wrote the resolved config: %d top-level keys", len(snakemake.params.config))
