# The report rules' target lists (every leaf, what is built)
# (included at the top of workflow/rules/report.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).


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
