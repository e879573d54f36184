# kdgen: four computer-vision studies reproduced end to end in one DAG. See README.md.
from snakemake.utils import min_version

min_version("9.27")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/cards.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/distill.smk"
include: "workflow/rules/lfkd.smk"
include: "workflow/rules/xkd.smk"
include: "workflow/rules/ganrep.smk"
include: "workflow/rules/gmaug.smk"
include: "workflow/rules/report.smk"


rule all:
    """Every figure and table of the configured studies (the default target)."""
    default_target: True
    input:
        all_targets(),
    localrule: True
