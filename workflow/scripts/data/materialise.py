"""Materialise one configured dataset into images.npz + manifest.json."""

import json

from kdgen.data.sources import make_digits, make_synthetic, read_real
from kdgen.data.store import save_dataset
from kdgen.data.wordnet import load_wordnet
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    spec, name = snakemake.params.spec, snakemake.wildcards.dataset
    source, size, seed = spec["source"], spec["image_size"], spec["seed"]
    if source == "synthetic":
        with open(snakemake.input.wordnet) as fh:
            wordnet = load_wordnet(json.load(fh)["nltk_data"])
        ds = make_synthetic(spec["options"], size, seed, wordnet, progress=True, key=f"datasets.{name}.options")
    elif source == "digits":
        ds = make_digits(spec["options"], size, seed)
    else:
        ds = read_real(source, snakemake.params.root, size, seed, spec["options"], progress=True)
    manifest = save_dataset(ds, snakemake.output.images, snakemake.output.manifest, name)
    log.info("%s: %d images %s, %d classes, sha256 %s", name, manifest["num_images"], manifest["image_shape"], manifest["num_classes"], manifest["sha256"])
