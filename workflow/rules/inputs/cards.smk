# The cards rules' input functions
# (included at the top of workflow/rules/cards.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).


def card_subsets(wildcards):
    ratios = config["datasets"][wildcards.dataset]["long_tail"]["ratios"]
    return [f"{DATA}/subsets/lt-{r:g}.npy".format(dataset=wildcards.dataset) for r in ratios]


CARD = "results/data/{dataset}/card"
