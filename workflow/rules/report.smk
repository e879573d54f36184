# The report: the resolved config as a report item, and the target group of what has been built so far.


def all_targets():
    """Every leaf target of the workflow: what `snakemake` builds by default."""
    targets = [
        *data_targets(),
        *train_targets(),
        *distill_targets(),
        *lfkd_targets(),
        *xkd_targets(),
        *ganrep_targets(),
        *gmaug_targets(),
        "results/config/resolved.yaml",
    ]
    return list(dict.fromkeys(targets))  # the classifier table is in two groups


def built_targets(wildcards):
    """The leaf targets that exist in the working directory now (the report of a partial build)."""
    return [t for t in all_targets() if os.path.exists(t)]


rule resolved_config:
    output:
        report(
            "results/config/resolved.yaml",
            caption="../report/resolved_config.rst",
            category="Config",
        ),
    log:
        "results/logs/config/resolved.log",
    """The config of this run with every schema default filled in (embedded in the report)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        config=config,
    script:
        "../scripts/report_config.py"


rule built:
    input:
        built_targets,
    """Target group of every leaf target that exists now, for a report of a partial build:
    snakemake --report results/report.html built"""
    localrule: True
