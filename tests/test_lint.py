"""The rules and the library stay clean as studies add to them: Snakemake's linter, snakefmt's formatting,
and the library's layering (import-linter's contracts in pyproject.toml)."""

import subprocess
import sys


def test_snakemake_lint_finds_nothing(repo):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--lint", "--configfile", str(repo / "config.yaml")],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out and "Congratulations" in out, out[-3000:]


def test_snakefmt_leaves_every_rules_file_unchanged(repo):
    files = [repo / "Snakefile", *sorted((repo / "workflow" / "rules").rglob("*.smk"))]
    proc = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "--diff", *map(str, files)],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


def _rule_blocks(repo):
    """{rule name: its text} for every named rule of the rules files (the ganrep figure loop included)."""
    import re

    blocks = {}
    for path in [repo / "Snakefile", *sorted((repo / "workflow" / "rules").glob("*.smk"))]:
        text = path.read_text()
        starts = [(m.start(), m.group(1) or m.group(2)) for m in re.finditer(r"^\s*(?:rule(?: (\w+))?:|use rule \w+ as (\w+) with:)", text, re.M)]
        for (start, name), end in zip(starts, [s for s, _ in starts[1:]] + [len(text)]):
            block = text[start:end]
            if name is None:  # rule: with a name: directive
                name = re.search(r'name:\s*\n\s*f?"([^"]+)"', block).group(1)
            blocks[name] = block
    return blocks


def test_every_rule_explains_itself_in_list_rules(repo):
    import re

    blocks = _rule_blocks(repo)
    assert len(blocks) > 20 and "ganrep_figure_{_figure}" in blocks
    undocumented = [n for n, b in blocks.items() if not re.match(r'^\s*(?:rule(?: \w+)?:|use rule \w+ as \w+ with:)\s*\n\s*"""', b)]
    assert not undocumented, f"rules without a docstring: {undocumented}"


def test_heavy_rules_have_benchmarks_and_downloads_run_locally(repo):
    import re

    blocks = _rule_blocks(repo)
    heavy = ["materialise_dataset", "download_dataset", "train_classifier", "distill_student", "ganrep_train",
             "ganrep_external_samples", "ganrep_replication_{_dataset}", "ganrep_fid_{_dataset}", "ganrep_id_{_dataset}"]
    missing = [n for n in heavy if "benchmark:" not in blocks[n]]
    assert not missing, f"heavy rules without benchmark: {missing}"
    local = {n for n, b in blocks.items() if re.search(r"^\s*localrule: True$", b, re.M)}
    assert "download_dataset" in local  # the network is where snakemake runs, not on a compute node
    assert not {"train_classifier", "distill_student", "ganrep_train"} & local
    common = (repo / "workflow/rules/common.smk").read_text()
    assert "localrules:" not in common  # each rule says it runs locally itself


def test_the_core_never_imports_a_study(repo):
    """import-linter's contracts: kdgen.studies above the four study slices, the slices above the shared core
    and independent of each other (a core module importing kdgen.<study> breaks the first)."""
    import os
    from pathlib import Path

    proc = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=repo, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(repo / "workflow")},
    )
    assert proc.returncode == 0 and "0 broken" in proc.stdout, (proc.stdout + proc.stderr)[-3000:]


def test_the_shared_rules_name_no_study(repo):
    """common.smk holds only what every rules file shares; the distillation core has no crossmodal branch."""
    import re

    common = (repo / "workflow/rules/common.smk").read_text()
    assert len(common.splitlines()) < 300
    assert not re.search(r"\b(ganrep|gmaug|lfkd|xkd)", common, re.I), re.findall(r".*\b(?:ganrep|gmaug|lfkd|xkd).*", common, re.I)
    for path in [*(repo / "workflow/kdgen/distill").rglob("*.py"), repo / "workflow/rules/distill.smk", repo / "workflow/rules/common.smk"]:
        assert "crossmodal" not in path.read_text(), path
