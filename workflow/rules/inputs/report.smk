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
        *scorecard_targets(),
        "results/config/resolved.yaml",
    ]
    return list(dict.fromkeys(targets))  # the classifier table is in two groups


def built_targets(wildcards):
    """The leaf targets that exist in the working directory now (the report of a partial build)."""
    return [t for t in all_targets() if os.path.exists(t)]


from kdgen.studies import CLAIM_STUDIES

SCORECARD = "results/scorecard"


def scorecard_study_files():
    """Per study, the files its claims are computed from (none for a study this config leaves out)."""
    files = {}
    if ganrep_runs(config):
        files["ganrep"] = {
            "runs": "results/ganrep/tables/runs.csv",
            "fits": "results/ganrep/tables/fits.csv",
            "one_shot": "results/ganrep/tables/one_shot.csv",
            "paper": GANREP_PAPER,
            "paper_fits": "results/reference/ganrep_paper_fit.csv",
        }
    if config["lfkd"]["datasets"]:
        files["lfkd"] = {
            "students": lfkd_measure_files("students.csv"),
            "pairs": lfkd_measure_files("teacher_pairs.csv"),
        }
    if config["xkd"]["datasets"]:
        files["xkd"] = {
            "teachers": xkd_files("teachers.csv"),
            "students": xkd_files("students.csv"),
            "paper": XKD_PAPER,
            "leakage": XKD_PAPER_LEAKAGE,
        }
    if config["gmaug"]["datasets"]:
        files["gmaug"] = {"runs": f"{GMAUG}/tables/runs.csv", "gain": f"{GMAUG}/tables/gain.csv", "paper": GMAUG_PAPER}
    return files


def _all_exist(paths):
    return all(os.path.exists(p) for p in (paths if isinstance(paths, list) else [paths]))


def scorecard_scored_files():
    """The study files the scorecard reads: every configured study's, or with ``scorecard.studies: built``
    only those of the studies whose files all exist now (the scorecard of a partial build)."""
    files = scorecard_study_files()
    if config["scorecard"]["studies"] == "built":
        files = {s: f for s, f in files.items() if all(_all_exist(p) for p in f.values())}
    return files


def scorecard_inputs(wildcards):
    """The scored studies' files as named inputs ``<study>__<name>``."""
    return {f"{s}__{name}": paths for s, f in scorecard_scored_files().items() for name, paths in f.items()}


def scorecard_params(wildcards):
    """What the claims need besides the files: the settings, and why a study is not scored."""
    configured = scorecard_study_files()
    scored = scorecard_scored_files()
    skipped = {}
    for study in CLAIM_STUDIES:
        if study not in configured:
            key = "ganrep.generators or ganrep.datasets" if study == "ganrep" else f"{study}.datasets"
            skipped[study] = f"this config builds no {study} runs ({key} empty)"
        elif study not in scored:
            skipped[study] = "scorecard.studies is built and this study's tables do not exist yet"
    return {
        "settings": config["scorecard"],
        "skipped": skipped,
        "studies": {
            "ganrep": {"alpha": config["ganrep"]["main_alpha"]},
            "lfkd": {"attention": config["lfkd"]["attention"]},
            "xkd": {},
            "gmaug": {"arm": gmaug_arms(config["gmaug"])[0]},
        },
    }


def scorecard_targets():
    return [f"{SCORECARD}.{ext}" for ext in ("csv", "md", "png", "pdf")]
