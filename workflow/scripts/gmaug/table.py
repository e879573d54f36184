"""One gmaug table: runs (each classifier run; the re-balanced ones with their gain over the original of
their seed), gain (per dataset, generator and arm, over seeds), ssim (every super-class under both
protocols) or fit (gain on SSIM-supSubCls); CSV and Markdown."""

import pandas as pd

from kdgen.gmaug import tables
from kdgen.tables import readable, write_table
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    inp, p, name = snakemake.input, snakemake.params, snakemake.wildcards.table
    if name in ("runs", "gain", "ssim"):
        ssim = {d: pd.read_csv(f) for d, f in zip(p.datasets, inp.ssim)}
    if name in ("runs", "gain"):
        rebalanced = [i for i, r in enumerate(p.runs) if r["arm"] != "original"]
        frame = tables.run_frame(p.runs, inp.metrics, inp.test, dict(zip(rebalanced, inp.classes)), p.last_epochs)
    if name == "ssim":
        table = tables.ssim_table(ssim)
        write_table(table, snakemake.output.csv, snakemake.output.md)
    elif name == "runs":
        table = pd.concat([frame[frame["arm"] == "original"], tables.seed_gains(frame)], ignore_index=True).round(6)
        write_table(table, snakemake.output.csv, snakemake.output.md)
    elif name == "gain":
        table = tables.gain_table(frame, {d: tables.ssim_summary(f) for d, f in ssim.items()})
        atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
        keys = ["dataset", "ssim_paper", "ssim_config", "generator", "arm", "n"]
        cols = ["orig_paper", "acc_paper", "gain_paper", "orig_ours", "acc_ours", "gain_ours", "generated", "acceptance"]
        atomic_write_text(snakemake.output.md, readable(table.round({"ssim_paper": 4, "ssim_config": 4}), keys, cols).to_markdown(index=False) + "\n")
    else:
        table = tables.fit_table(pd.read_csv(inp.gain))
        write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%s: %d rows\n%s", name, len(table), table.to_string())
