"""One lfkd figure (params.figure): IoU vs strength, overfitting vs IoU, fidelity vs top-1, or an attention grid."""

import numpy as np
import pandas as pd

from kdgen.lfkd import figures as plots
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    p, inp, name = snakemake.params, snakemake.input, snakemake.params.figure
    main = p.attention[0]
    if name == "iou_vs_strength":
        teachers = pd.concat([pd.read_csv(f) for f in inp.teachers], ignore_index=True)
        pairs = pd.concat([pd.read_csv(f) for f in inp.pairs], ignore_index=True)
        fig = plots.iou_vs_strength_figure(teachers, pairs, p.attention)
    elif name in ("overfitting_vs_iou", "fidelity_vs_top1"):
        students = pd.concat([pd.read_csv(f) for f in inp.students], ignore_index=True)
        fig = plots.overfitting_vs_iou_figure(students, main) if name == "overfitting_vs_iou" else plots.fidelity_vs_top1_figure(students)
    else:  # attention_grid: the rows the measures chose (kdgen.lfkd.measures.grid_rows)
        with np.load(inp.maps) as z:
            arrays = {k: z[k] for k in z.files}
        rows = [tuple(r.split("|")) for r in arrays["rows"]]
        fig = plots.attention_grid_figure(arrays, rows, main, p.threshold)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s", snakemake.output.png)
