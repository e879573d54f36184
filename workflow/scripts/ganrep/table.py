"""One row per GAN run: ID of its training subset, replication %, ratio test, FID and KID."""

import json

import pandas as pd

from kdgen.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    rows = []
    for run in snakemake.params.runs:  # each run names its replication, FID and ID files (all inputs)
        r, f, i = (json.load(open(run[key])) for key in ("replication", "fid", "id"))
        wildcards = {k: run[k] for k in ("generator", "dataset", "size", "seed")}
        replication = {k: v for k, v in r.items() if k.startswith(("rep_pct", "feat_")) or k == "median_rms"}
        rows.append({**wildcards, "id": i["id"], "id_std": i["std"], **replication, "fid": f["fid"], "kid": f["kid"], "extractor": f["extractor"], "fid_reference": f["reference"]})
    table = pd.DataFrame(rows).round(4)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d runs", len(table))
