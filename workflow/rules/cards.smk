# Dataset cards: a sample grid, a class-count histogram and split counts per configured dataset.


def card_subsets(wildcards):
    ratios = config["datasets"][wildcards.dataset]["long_tail"]["ratios"]
    return [f"{DATA}/subsets/lt-{r:g}.npy".format(dataset=wildcards.dataset) for r in ratios]


CARD = "results/data/{dataset}/card"


rule card_samples:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
    output:
        png=report(
            f"{CARD}/samples.png",
            caption="../report/card_samples.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        pdf=f"{CARD}/samples.pdf",
    log:
        f"{LOGS}/card_samples.log",
    """Dataset card: a grid of sample images per class."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
        per_class=config["cards"]["samples_per_class"],
        max_classes=config["cards"]["max_classes"],
    script:
        "../scripts/card_samples.py"


rule card_class_counts:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
        long_tail=card_subsets,
    output:
        png=report(
            f"{CARD}/class_counts.png",
            caption="../report/card_class_counts.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        pdf=f"{CARD}/class_counts.pdf",
    log:
        f"{LOGS}/card_class_counts.log",
    """Dataset card: images per class in each split and in each long-tailed subset."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/card_class_counts.py"


rule card_split_counts:
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
    output:
        csv=report(
            f"{CARD}/split_counts.csv",
            caption="../report/card_split_counts.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        md=f"{CARD}/split_counts.md",
    log:
        f"{LOGS}/card_split_counts.log",
    """Dataset card: the table of images per class and split."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/card_split_counts.py"
