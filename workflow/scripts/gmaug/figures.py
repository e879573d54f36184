"""One gmaug figure (params.figure): the gain against SSIM-supSubCls (gain), a dataset's samples, learning
curves or class counts, or the published points with their re-fitted curves (paper_fit)."""

import os

import numpy as np
import pandas as pd

from kdgen.data.store import load_dataset
from kdgen.gmaug import figures as plots
from kdgen.plots.style import save_figure
from kdgen.runtime import as_list, logged



def read_accepted(path: str) -> np.ndarray | None:
    """The step-1 filter's accepted mask over all candidates; None when the arm did not filter."""
    if not os.path.exists(path):
        return None
    with np.load(path) as selection:
        return selection["accepted"].astype(bool) if "accepted" in selection.files else None


with logged(snakemake.log[0], snakemake.input) as log:
    p, inp, name = snakemake.params, snakemake.input, snakemake.params.figure
    if name == "gain":  # this run's gain with the fitted decays, beside the published points and their re-fit
        gain, fit = pd.read_csv(inp.gain), pd.read_csv(inp.fit)
        fig = plots.gain_figure(gain, fit, pd.read_csv(inp.paper), pd.read_csv(inp.paper_fit))
        log.info("%d gain rows, %d fits", len(gain), len(fit))
    elif name == "paper_fit":
        paper, fit = pd.read_csv(inp.paper), pd.read_csv(inp.fit)
        fig = plots.paper_fit_figure(paper, fit)
        log.info("%d points, %d curves", len(paper), len(fit))
    elif name == "learning_curves":  # mean over seeds of the original and re-balanced classifiers
        runs = [dict(r) for r in p.runs]
        fig = plots.learning_curves_figure(runs, [pd.read_csv(m) for m in as_list(inp.metrics)])
        log.info("%d runs", len(runs))
    elif name == "class_counts":  # after each generator's step-1 re-balancing, real and generated stacked
        tables = [(gen, pd.read_csv(path)) for gen, path in zip(p.generators, as_list(inp.classes))]
        fig = plots.class_counts_figure(tables)
        log.info("%d generators", len(tables))
    else:  # samples: real images of the imbalanced subset beside each generator's kept and rejected candidates
        ds = load_dataset(inp.images, inp.manifest)
        if inp.get("subset"):
            train = np.load(inp.subset)
        else:
            with np.load(inp.splits) as splits:
                train = splits["train"]
        generators = []
        for gen, candidates, selection in zip(p.generators, as_list(inp.candidates), as_list(inp.selections)):
            with np.load(candidates) as c:
                images, labels = c["images"], c["labels"]
            generators.append((gen, images, labels, read_accepted(selection)))
            log.info("%s: %d candidates, filter mask %s", gen, len(labels), "missing" if generators[-1][3] is None else "read")
        fig = plots.samples_figure(ds.images[train], ds.labels[train], [c.name for c in ds.classes], generators, int(p.per_class))
        log.info("%d real images, %d generators", len(train), len(generators))
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s", snakemake.output.png)
