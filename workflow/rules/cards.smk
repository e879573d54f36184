# Dataset cards: a sample grid, a class-count histogram and split counts per configured dataset, drawn
# by one job per dataset (a user targets any of its files; the three pieces cost one interpreter).


include: "inputs/cards.smk"


rule card:
    """Dataset card: a grid of sample images per class, images per class in each split and long-tailed
    subset, and the table of images per class and split."""
    input:
        images=f"{DATA}/images.npz",
        manifest=f"{DATA}/manifest.json",
        splits=f"{DATA}/splits.npz",
        long_tail=card_subsets,
    output:
        samples_png=report(
            f"{CARD}/samples.png",
            caption="../report/card_samples.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        samples_pdf=f"{CARD}/samples.pdf",
        counts_png=report(
            f"{CARD}/class_counts.png",
            caption="../report/card_class_counts.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        counts_pdf=f"{CARD}/class_counts.pdf",
        split_csv=report(
            f"{CARD}/split_counts.csv",
            caption="../report/card_split_counts.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        split_md=f"{CARD}/split_counts.md",
    log:
        f"{LOGS}/card.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        spec=dataset_spec,
        per_class=config["cards"]["samples_per_class"],
        max_classes=config["cards"]["max_classes"],
    script:
        "../scripts/cards/card.py"
