"""Learning curve of one training run (a classifier, or a student distilled from a teacher set)."""

import pandas as pd

from kdgen.plots.style import save_figure
from kdgen.plots.training import learning_curve_figure
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input):
    w = snakemake.wildcards
    title = f"{w.arch} on {w.dataset} ({w.train_subset}, {w.aug}, seed {w.seed})"
    if w.get("student"):
        title += f", {w.method} from {w.student}"
    save_figure(learning_curve_figure(pd.read_csv(snakemake.input[0]), title), snakemake.output.png, snakemake.output.pdf)
