"""One ganrep figure (params.figure): replication vs ID or vs size, one-shot curves, FID vs size, nearest
neighbours, or the published points with our re-fitted curves (paper_fit)."""

import numpy as np
import pandas as pd

from kdgen.ganrep import figures as plots
from kdgen.ganrep.fits import curve_means, curve_points, published_id_scale
from kdgen.plots.style import save_figure
from kdgen.runtime import logged


def published_curves(paper: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    """The fitted curves over the published ID range (one past each end), on the published ID scale."""
    mu, sd = published_id_scale(paper)
    ids = paper["id"].dropna()
    return curve_points(fits, mu, sd, (ids.min() - 1, ids.max() + 1))


with logged(snakemake.log[0], snakemake.input):
    p, inp, name = snakemake.params, snakemake.input, snakemake.params.figure
    runs = pd.read_csv(inp.runs) if "runs" in inp.keys() else None
    if name == "paper_fit":
        paper, fits = pd.read_csv(inp.paper), pd.read_csv(inp.fits)
        fig = plots.paper_fit_figure(paper, fits, published_curves(paper, fits), p.alpha)
    elif name == "replication_vs_id":
        paper, paper_fits = pd.read_csv(inp.paper), pd.read_csv(inp.paper_fits)
        curves = published_curves(paper, paper_fits)
        fig = plots.replication_vs_id_figure(curve_means(runs, p.alpha), pd.read_csv(inp.fits), paper, paper_fits, curves, p.alpha)
    elif name == "replication_vs_size":
        fig = plots.replication_vs_size_figure(runs, p.alpha)
    elif name == "one_shot":
        fig = plots.one_shot_figure(curve_means(runs, p.alpha), pd.read_csv(inp.one_shot), pd.read_csv(inp.fits))
    elif name == "fid_vs_size":
        fig = plots.fid_vs_size_figure(runs, ", ".join(sorted(runs["extractor"].unique())))  # as the FID job recorded it
    else:  # nearest_neighbours: the runs listed in params (smallest and largest size, first seed)
        from kdgen.data.sources import rgb_at
        from kdgen.data.store import load_dataset

        datasets = {m.split("/")[-2]: (img, m) for img, m in zip(inp.images, inp.manifests)}
        rows = []
        for run in p.neighbour_runs:
            images, manifest = datasets[run["dataset"]]
            training = rgb_at(load_dataset(images, manifest).images[np.load(run["subset"])], p.image_size)
            nn = np.load(run["neighbours"])
            title = f"{run['generator']} / {run['dataset']} / size {run['size']}: median RMS to nearest {np.median(nn['rms']):.1f}"
            rows.append((title, np.load(run["samples"])["samples"], training[nn["index"]]))
        fig = plots.nearest_neighbour_figure(rows)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
