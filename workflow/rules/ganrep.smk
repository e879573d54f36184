# ganrep: GAN replication vs dataset size and intrinsic dimensionality (Feng et al., ICCV 2021).
# This stage so far re-fits the published measurements; the GAN-training branch is being built.


rule ganrep_paper_fit:
    input:
        GANREP_PAPER,
    output:
        csv=report(
            "results/reference/ganrep_paper_fit.csv",
            caption="../report/ganrep_paper_fit.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        md="results/reference/ganrep_paper_fit.md",
    params:
        alpha=8000,
    log:
        "results/logs/reference/ganrep_paper_fit.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_paper_fit.py"


rule ganrep_paper_fit_figure:
    input:
        paper=GANREP_PAPER,
        fits="results/reference/ganrep_paper_fit.csv",
    output:
        png=report(
            "results/reference/ganrep_paper_fit.png",
            caption="../report/ganrep_paper_fit_figure.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        pdf="results/reference/ganrep_paper_fit.pdf",
    params:
        alpha=8000,
    log:
        "results/logs/reference/ganrep_paper_fit_figure.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_paper_fit_figure.py"


rule ganrep:
    input:
        ganrep_targets(),
