"""SSIM_set of every super-class of a dataset's imbalanced training subset and SSIM-supSubCls (their max),
under the authors' latest protocol (32x32 grey, consecutive pairs) and the configured one."""

import pandas as pd
import torch

from kdgen.gmaug.data import load_imbalanced
from kdgen.metrics.ssim_sets import prepare, ssim_supsubcls
from kdgen.runtime import atomic_path, logged

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    data = load_imbalanced(snakemake.input)
    images, labels = data.ds.images[data.train], data.ds.labels[data.train]
    superclass_of = [c.superclass for c in data.ds.classes]
    rows = []
    for name, protocol in snakemake.params.protocols.items():
        x = prepare(images, protocol["resolution"], protocol["colour"], protocol["crop"])
        result = ssim_supsubcls(
            x, labels, superclass_of, mode=protocol["pairs"], seed=protocol["seed"], n_pairs=protocol["n_pairs"],
            cross_subclass=protocol["cross_subclass"], win_size=protocol["win_size"],
        )
        rows += [{"protocol": name, **row, "resolution": protocol["resolution"] or images.shape[1], "colour": protocol["colour"], "pairs": protocol["pairs"]} for row in result.as_rows()]
        log.info("%s protocol %s: SSIM-supSubCls %.4f (%s)", name, protocol, result.value, result.superclass)
    with atomic_path(snakemake.output[0]) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
