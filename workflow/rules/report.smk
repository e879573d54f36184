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
