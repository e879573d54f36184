# The report: the resolved config as a report item, and the target group of what has been built so far.


include: "inputs/report.smk"


rule resolved_config:
    """The config of this run with every schema default filled in (embedded in the report)."""
    output:
        report(
            "results/config/resolved.yaml",
            caption="../report/resolved_config.rst",
            category="Config",
        ),
    log:
        "results/logs/config/resolved.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        config=config,
    script:
        "../scripts/report/config.py"


rule built:
    """Target group of every leaf target that exists now, for a report of a partial build:
    snakemake --report results/report.html built"""
    input:
        built_targets,
    localrule: True


rule scorecard_table:
    """The reproduction scorecard: one row per published claim (and variant) with this run's statistic, its
    interval over the replicate unit, n, the published value and the verdict (docs/scorecard.md)."""
    input:
        unpack(scorecard_inputs),
    output:
        csv=report(
            f"{SCORECARD}.csv",
            caption="../report/scorecard.rst",
            category="1. Scorecard",
        ),
        md=f"{SCORECARD}.md",
    log:
        "results/logs/scorecard/table.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        card=scorecard_params,
    script:
        "../scripts/report/scorecard.py"


rule scorecard_figure:
    """Figure: each claim's estimate with its interval, coloured by verdict, the published value marked."""
    input:
        f"{SCORECARD}.csv",
    output:
        png=report(
            f"{SCORECARD}.png",
            caption="../report/scorecard_figure.rst",
            category="1. Scorecard",
        ),
        pdf=f"{SCORECARD}.pdf",
    log:
        "results/logs/scorecard/figure.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/report/scorecard_figure.py"


rule scorecard:
    """Target group: the scorecard (its table and figure)."""
    input:
        scorecard_targets(),
    localrule: True
