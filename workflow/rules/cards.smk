# Dataset cards: a sample grid, a class-count histogram and split counts per configured dataset.


include: "inputs/cards.smk"


rule card_samples:
    """Dataset card: a grid of sample images per class."""
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
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
        per_class=config["cards"]["samples_per_class"],
        max_classes=config["cards"]["max_classes"],
    script:
        "../scripts/cards/samples.py"


rule card_class_counts:
    """Dataset card: images per class in each split and in each long-tailed subset."""
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
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/cards/class_counts.py"


rule card_split_counts:
    """Dataset card: the table of images per class and split."""
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
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/cards/split_counts.py"
