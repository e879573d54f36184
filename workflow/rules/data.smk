# Datasets: WordNet, downloads (opt-in), materialisation, held-out splits, subsets, hierarchies.


include: "inputs/data.smk"


rule wordnet:
    """WordNet 3.0 for NLTK: from $NLTK_DATA, nltk.download, or built from the system database; provenance.json says which."""
    output:
        provenance="results/wordnet/provenance.json",
        nltk_data=directory("results/wordnet/nltk_data"),
    log:
        "results/logs/wordnet.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        download=config["wordnet"]["download"],
        system_dir=config["wordnet"]["system_dir"],
    script:
        "../scripts/data/wordnet.py"


rule download_dataset:
    """Opt-in download of a real dataset (datasets.<name>.options.download: true) into results/downloads/<name>/; needs network, runs locally."""
    output:
        directory("results/downloads/{dataset}"),
    log:
        "results/logs/downloads/{dataset}.log",
    benchmark:
        "results/benchmarks/downloads/{dataset}.tsv"
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data/download.py"


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
        "../scripts/data/materialise.py"


rule split_dataset:
    """Train / val / test indices: val held out of the source train split, stratified and seeded."""
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/splits.npz",
    log:
        f"{LOGS}/split.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data/split.py"


rule subset_dataset:
    """One subset of the train split: a nested, class-balanced ladder size (size-N) or a long tail (lt-R)."""
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
    output:
        f"{DATA}/subsets/{{subset}}.npy",
    log:
        f"{LOGS}/subset_{{subset}}.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
    script:
        "../scripts/data/subset.py"


rule class_hierarchy:
    """The class -> super-class map of a dataset (WordNet hypernyms for the synthetic source)."""
    input:
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/hierarchy.csv",
    log:
        f"{LOGS}/hierarchy.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data/hierarchy.py"


rule data:
    """Target group: every dataset's arrays, splits, subsets, hierarchy and card."""
    input:
        data_targets(),
    localrule: True
