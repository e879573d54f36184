"""The gmaug gain figure: this run's gain against SSIM-supSubCls with the fitted decays, beside the published
points and their re-fitted curve."""

import pandas as pd

from kdgen.gmaug.figures import gain_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    inp = snakemake.input
    gain, fit = pd.read_csv(inp.gain), pd.read_csv(inp.fit)
    fig = gain_figure(gain, fit, pd.read_csv(inp.paper), pd.read_csv(inp.paper_fit))
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s (%d gain rows, %d fits)", snakemake.output.png, len(gain), len(fit))
