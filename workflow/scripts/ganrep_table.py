"""One row per GAN run: ID of its training subset, replication %, ratio test, FID and KID."""

import json

import pandas as pd

from kdgen.plots.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    rows = []
    for run, rep, fid, ident in zip(snakemake.params.runs, snakemake.input.replication, snakemake.input.fid, snakemake.input.id):
        r, f, i = (json.load(open(path)) for path in (rep, fid, ident))
        rows.append({**run, "id": i["id"], "id_std": i["std"], **{k: v for k, v in r.items() if k.startswith(("rep_pct", "feat_")) or k == "median_rms"}, "fid": f["fid"], "kid": f["kid"], "extractor": f["extractor"]})
    table = pd.DataFrame(rows).round(4)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d runs", len(table))
