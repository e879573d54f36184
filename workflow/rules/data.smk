# Datasets: WordNet, downloads (opt-in), materialisation, held-out splits, subsets, hierarchies.


rule wordnet:
    output:
        provenance="results/wordnet/provenance.json",
        nltk_data=directory("results/wordnet/nltk_data"),
    params:
        download=config["wordnet"]["download"],
        system_dir=config["wordnet"]["system_dir"],
    log:
        "results/logs/wordnet.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_wordnet.py"


rule download_dataset:
    output:
        directory("results/downloads/{dataset}"),
    params:
        spec=dataset_spec,
    log:
        "results/logs/downloads/{dataset}.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_download.py"


rule materialise_dataset:
    input:
        unpack(materialise_inputs),
    output:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
    params:
        spec=dataset_spec,
        root=data_root,
    log:
        f"{LOGS}/materialise.log",
    benchmark:
        f"{BENCH}/materialise.tsv"
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_materialise.py"


rule split_dataset:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/splits.npz",
    params:
        spec=dataset_spec,
    log:
        f"{LOGS}/split.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_split.py"


rule subset_dataset:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
    output:
        f"{DATA}/subsets/{{subset}}.npy",
    params:
        spec=dataset_spec,
    log:
        f"{LOGS}/subset_{{subset}}.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_subset.py"


rule class_hierarchy:
    input:
        manifest=f"{DATA}/manifest.json",
    output:
        f"{DATA}/hierarchy.csv",
    log:
        f"{LOGS}/hierarchy.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/data_hierarchy.py"


rule data:
    input:
        data_targets(),
