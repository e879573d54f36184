# kdgen: four computer-vision studies reproduced end to end in one DAG. See README.md.
# A --configfile on the command line replaces config.yaml instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/cards.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/ganrep.smk"


rule all:
    default_target: True
    input:
        rules.data.input,
        rules.train.input,
        rules.ganrep.input,
