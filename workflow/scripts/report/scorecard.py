"""The reproduction scorecard: every study's claims scored on its files (or marked not built), as CSV and
Markdown."""

import pandas as pd

from kdgen import scorecard as sc
from kdgen.runtime import atomic_write_text, logged
from kdgen.studies import CLAIM_STUDIES, study_claims

with logged(snakemake.log[0], snakemake.input) as log:
    card = snakemake.params.card
    settings = sc.settings_from_config(card["settings"])
    frames = {}
    for key, paths in snakemake.input.items():
        study, name = key.split("__", 1)
        paths = [paths] if isinstance(paths, str) else list(paths)
        frames.setdefault(study, {})[name] = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    findings, order = [], []
    for study in CLAIM_STUDIES:
        claims = study_claims(study)
        order += [c.id for c in claims.CLAIMS]
        if study in card["skipped"]:
            findings += sc.not_built(claims.CLAIMS, card["skipped"][study])
        else:
            findings += claims.findings(frames[study], card["studies"][study], settings)
    table = sc.scorecard_table(findings, settings, card["settings"]["scale"], order)
    atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
    atomic_write_text(snakemake.output.md, sc.scorecard_document(table))
    log.info("scorecard (%s): %s\n%s", card["settings"]["scale"], sc.verdict_counts(table), table[["claim", "variant", "estimate", "low", "high", "n", "verdict"]].to_string())
