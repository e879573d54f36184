# Datasets: WordNet, downloads (opt-in), materialisation, held-out splits, subsets, hierarchies.
from kdgen.train.plan import subset_names


def dataset_spec(wildcards):
    return config["datasets"][wildcards.dataset]


def materialise_inputs(wildcards):
    spec = dataset_spec(wildcards)
    inputs = {}
    if spec["source"] == "synthetic":
        inputs["wordnet"] = "results/wordnet/provenance.json"
    if spec["options"].get("download"):
        inputs["download"] = f"results/downloads/{wildcards.dataset}"
    return inputs


def data_root(wildcards, input):
    spec = dataset_spec(wildcards)
    return input.download if spec["options"].get("download") else spec["options"].get("root")


def card_targets(name):
    card = f"results/data/{name}/card"
    return [
        f"{card}/samples.png",
        f"{card}/samples.pdf",
        f"{card}/class_counts.png",
        f"{card}/class_counts.pdf",
        f"{card}/split_counts.csv",
        f"{card}/split_counts.md",
    ]


def data_targets():
    targets = []
    for name in config["datasets"]:
        base = f"results/data/{name}"
        targets += [
            f"{base}/manifest.json",
            f"{base}/splits.npz",
            f"{base}/hierarchy.csv",
        ]
        targets += [f"{base}/subsets/{s}.npy" for s in subset_names(config["datasets"][name])]
        targets += card_targets(name)
    return targets


rule wordnet:
    output:
        provenance="results/wordnet/provenance.json",
        nltk_data=directory("results/wordnet/nltk_data"),
    log:
        "results/logs/wordnet.log",
    """WordNet 3.0 for NLTK: from $NLTK_DATA, nltk.download, or built from the system database; provenance.json says which."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        download=config["wordnet"]["download"],
        system_dir=config["wordnet"]["system_dir"],
    script:
        "../scripts/data_wordnet.py"


rule download_dataset:
    output:
        directory("results/downloads/{dataset}"),
    log:
        "results/logs/downloads/{dataset}.log",
    benchmark:
        "results/benchmarks/downloads/{dataset}.tsv"
    """Opt-in download of a real dataset (datasets.<name>.options.download: true) into results/downloads/<name>/; needs network, runs locally."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data_download.py"


rule materialise_dataset:
    """A dataset as uint8 arrays (images.npz) and a manifest of its classes, WordNet ids, counts and checksums."""
    input:
        unpack(materialise_inputs),
    output:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
    log:
        f"{LOGS}/materialise.log",
    benchmark:
        f"{BENCH}/materialise.tsv"
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
        root=data_root,
    script:
        "../scripts/data_materialise.py"


rule split_dataset:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/splits.npz",
    log:
        f"{LOGS}/split.log",
    """Train / val / test indices: val held out of the source train split, stratified and seeded."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data_split.py"


rule subset_dataset:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
    output:
        f"{DATA}/subsets/{{subset}}.npy",
    log:
        f"{LOGS}/subset_{{subset}}.log",
    """One subset of the train split: a nested, class-balanced ladder size (size-N) or a long tail (lt-R)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data_subset.py"


rule class_hierarchy:
    input:
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/hierarchy.csv",
    log:
        f"{LOGS}/hierarchy.log",
    """The class -> super-class map of a dataset (WordNet hypernyms for the synthetic source)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_hierarchy.py"


rule data:
    input:
        data_targets(),
    """Target group: every dataset's arrays, splits, subsets, hierarchy and card."""
    localrule: True
