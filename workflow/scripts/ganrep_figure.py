"""ganrep figures: replication vs ID and vs size, one-shot curves, FID vs size, nearest neighbours."""

import numpy as np
import pandas as pd

from kdgen.fit.ganrep import curve_means, curve_points, published_id_scale
from kdgen.metrics.fid import extractor_label
from kdgen.plots import ganrep as plots
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]):
    p, inp, name = snakemake.params, snakemake.input, snakemake.wildcards.figure
    runs = pd.read_csv(inp.runs)
    means = curve_means(runs, p.alpha)
    fits = pd.read_csv(inp.fits)
    if name == "replication_vs_id":
        paper, paper_fits = pd.read_csv(inp.paper), pd.read_csv(inp.paper_fits)
        mu, sd = published_id_scale(paper)
        ids = paper["id"].dropna()
        fig = plots.replication_vs_id_figure(means, fits, paper, paper_fits, curve_points(paper_fits, mu, sd, (ids.min() - 1, ids.max() + 1)), p.alpha)
    elif name == "replication_vs_size":
        fig = plots.replication_vs_size_figure(runs, p.alpha)
    elif name == "one_shot":
        fig = plots.one_shot_figure(means, pd.read_csv(inp.one_shot), fits)
    elif name == "fid_vs_size":
        fig = plots.fid_vs_size_figure(runs, extractor_label(p.inception, p.extractor))
    else:  # nearest_neighbours: the smallest and the largest size of every generator and dataset, first seed
        from kdgen.data.sources import rgb_at
        from kdgen.data.store import load_dataset

        datasets = {m.split("/")[-2]: (img, m) for img, m in zip(inp.images, inp.manifests)}
        rows = []
        for samples_path, nn_path, subset_path in zip(inp.samples, inp.neighbours, inp.subsets):
            parts = samples_path.split("/")  # results/ganrep/<gen>/<dataset>/size-<n>/seed-<s>/samples.npz
            gen, ds, size, seed = parts[2], parts[3], int(parts[4][5:]), int(parts[5][5:])
            sizes = runs[(runs["generator"] == gen) & (runs["dataset"] == ds)]["size"]
            if seed != runs["seed"].min() or size not in (sizes.min(), sizes.max()):
                continue
            images, manifest = datasets[ds]
            training = rgb_at(load_dataset(images, manifest).images[np.load(subset_path)], p.image_size)
            samples = np.load(samples_path)["samples"]
            nn = np.load(nn_path)
            rows.append((f"{gen} / {ds} / size {size}: median RMS to nearest {np.median(nn['rms']):.1f}", samples, training[nn["index"]]))
        fig = plots.nearest_neighbour_figure(rows)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
