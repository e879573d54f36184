# The data rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/data.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
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
