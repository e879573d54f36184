"""The rules stay clean as studies add to them: Snakemake's linter and snakefmt's formatting."""

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
    files = [repo / "Snakefile", *sorted((repo / "workflow" / "rules").glob("*.smk"))]
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
        starts = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*rule(?: (\w+))?:", text, re.M)]
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
    undocumented = [n for n, b in blocks.items() if not re.match(r'^\s*rule(?: \w+)?:\s*\n\s*"""', b)]
    assert not undocumented, f"rules without a docstring: {undocumented}"


def test_heavy_rules_have_benchmarks_and_downloads_run_locally(repo):
    import re

    blocks = _rule_blocks(repo)
    heavy = ["materialise_dataset", "download_dataset", "train_classifier", "evaluate_classifier", "distill_student", "ganrep_train",
             "ganrep_external_samples", "ganrep_replication_{_dataset}", "ganrep_fid_{_dataset}", "ganrep_id_{_dataset}"]
    missing = [n for n in heavy if "benchmark:" not in blocks[n]]
    assert not missing, f"heavy rules without benchmark: {missing}"
    common = (repo / "workflow/rules/common.smk").read_text()
    local = re.search(r"localrules:\n((?:\s+\w+,\n)+)", common).group(1).split()
    assert "download_dataset," in local  # the network is where snakemake runs, not on a compute node
    assert not {"train_classifier,", "distill_student,", "evaluate_student,", "ganrep_train,"} & set(local)
