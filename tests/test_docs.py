"""The documentation stays findable and true to the code: the README is short and links every docs page,
every relative link resolves, and docs/config.md is what the schema generates (no snakemake, no torch)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kdgen.config import load_schema
from kdgen.config_reference import COMMAND, config_reference, main

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)|^\s*\[[^\]]+\]:\s*(\S+)", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def _markdown_files(repo: Path) -> list[Path]:
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md")), repo / "benchmarks" / "README.md"]


def _links(text: str) -> list[str]:
    """Link targets of inline and reference-style links, outside fenced code blocks and code spans."""
    text = FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [a or b for a, b in LINK.findall(text)]


def test_config_reference_is_up_to_date(repo):
    expected = config_reference(load_schema())
    path = repo / "docs" / "config.md"
    assert path.is_file(), f"docs/config.md is missing: run `{COMMAND}` from the repository root"
    assert (
        path.read_text() == expected
    ), f"docs/config.md differs from what the schema generates: run `{COMMAND}` from the repository root"


def test_config_reference_is_deterministic_and_check_mode_reports_staleness(tmp_path, capsys):
    schema = load_schema()
    assert config_reference(schema) == config_reference(load_schema())
    out = tmp_path / "config.md"
    assert main(["--output", str(out)]) == 0 and main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text() + "\nedited by hand\n")
    assert main(["--check", "--output", str(out)]) == 1
    assert COMMAND in capsys.readouterr().err


def _properties(node: Any, found: list[tuple[str, dict]]) -> None:
    """Every (key, schema) under any ``properties`` of the schema, $defs and if/then blocks included."""
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict):
                found.append((key, sub))
        for value in node.values():
            _properties(value, found)
    elif isinstance(node, list):
        for value in node:
            _properties(value, found)


def _rows(text: str) -> list[tuple[str, str]]:
    """(key path, description) of every row of the reference's tables, unescaped."""
    rows = []
    for line in text.splitlines():
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        if len(cells) == 5 and cells[0].strip().startswith("`"):
            unescape = lambda s: " ".join(s.replace("\\|", "|").replace("&lt;", "<").split())  # noqa: E731
            rows.append((unescape(cells[0].split("<br>")[0]).strip("` "), unescape(cells[4])))
    return rows


def test_every_schema_key_is_in_the_config_reference(repo):
    schema = load_schema()
    text = (repo / "docs" / "config.md").read_text()
    rows = _rows(text)
    flat = " ".join(text.replace("\\|", "|").replace("&lt;", "<").split())
    paths = {path for path, _ in rows}
    for key in schema["properties"]:
        assert f"\n## {key}\n" in text, f"no section for the top-level key {key}"
        assert key in paths
    found: list[tuple[str, dict]] = []
    _properties(schema, found)
    assert len({k for k, _ in found}) > 150
    missing, undescribed = [], []
    for key, sub in found:
        matches = [(p, d) for p, d in rows if re.split(r"[.\[\]]+", p.rstrip("[]"))[-1] == key]
        if not matches:
            missing.append(key)
        elif sub.get("description"):
            described = " ".join(sub["description"].split())
            # a block's description heads its section; a key's is in its row
            texts = [flat if p == key else d for p, d in matches]
            if not any(described in t for t in texts):
                undescribed.append(key)
    assert not missing, f"schema keys without a row in docs/config.md: {sorted(set(missing))}"
    assert not undescribed, f"schema keys whose description is not in docs/config.md: {sorted(set(undescribed))}"
    for path in [
        "ganrep.sizes",
        "classifiers[].arch",
        "distill.students[].teachers[].seed",
        "datasets.<name>.options.classes",
        "gmaug.generators.<name>.guidance_scale",
        "xkd.arms.mix",
    ]:
        assert path in paths, path


def test_readme_is_short_and_links_every_docs_page(repo):
    readme = (repo / "README.md").read_text()
    assert len(readme.splitlines()) < 300, "README.md stays under 300 lines: move detail to docs/"
    linked = {Path(t.split("#")[0]).as_posix() for t in _links(readme)}
    pages = sorted(p.relative_to(repo).as_posix() for p in (repo / "docs").glob("*.md"))
    assert pages, "docs/ holds the study pages"
    assert not [p for p in pages if p not in linked], f"README.md does not link {[p for p in pages if p not in linked]}"
    for study in ["ganrep", "gmaug", "lfkd", "xkd"]:
        assert f"docs/{study}.md" in linked


@pytest.mark.parametrize("name", ["README.md", "docs", "benchmarks/README.md"])
def test_relative_links_point_at_existing_files(repo, name):
    files = [p for p in _markdown_files(repo) if p.is_file() and (p == repo / name or p.parent == repo / name)]
    assert files
    broken = []
    for path in files:
        for target in _links(path.read_text()):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL (http:, mailto:) or an anchor of the same page
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(f"{path.relative_to(repo)}: {target}")
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def test_config_reference_imports_no_torch(repo):
    code = "import sys, kdgen.config_reference; assert 'torch' not in sys.modules, 'torch imported'"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        env={"PYTHONPATH": str(repo / "workflow")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_the_quoted_verdicts_are_generated_from_the_kept_scorecard(repo, tmp_path):
    """README.md and the study pages quote docs/scorecard-default.csv through markers; a hand edit of a
    quoted verdict, or a new kept scorecard without the rewrite, is stale."""
    from kdgen import scorecard_docs

    table = scorecard_docs.read(scorecard_docs.KEPT)
    assert scorecard_docs.stale(table) == [], f"run: {scorecard_docs.COMMAND} {scorecard_docs.KEPT.relative_to(repo)}"
    readme = (repo / "README.md").read_text()
    for study in ("ganrep", "gmaug", "lfkd", "xkd"):
        assert f"<!-- scorecard:{study} -->" in readme
    assert readme.count("<!-- scorecard:table -->") == 1
    edited = readme.replace("R1 **holds**", "R1 **fails**").replace("R1 **inconclusive**", "R1 **holds**")
    assert edited != readme and scorecard_docs.fill(edited, table) == readme
    assert set(table["claim"]) == {"R1", "R2", "R3", "R4", "L1", "L2", "L3", "L4", "X1", "X2", "X3", "X4", "G1", "G2"}
