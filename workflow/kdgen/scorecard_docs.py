"""The documentation's verdicts, generated from a scorecard, never typed by hand.

The README and the study pages quote the embedded default's scorecard between markers::

    <!-- scorecard:table -->...<!-- /scorecard -->           the whole card as a Markdown table
    <!-- scorecard:ganrep -->...<!-- /scorecard -->          one study's verdicts in a line

``docs/scorecard-default.csv`` keeps the scorecard those blocks were generated from (a copy of
``results/scorecard.csv`` of a full default run, with the machine it ran on); the tests check that every
block still says what this file says.

    PYTHONPATH=workflow python -m kdgen.scorecard_docs results/scorecard.csv   # keep it, rewrite the blocks
    PYTHONPATH=workflow python -m kdgen.scorecard_docs --check                 # exit 1 when a block is stale
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pandas as pd

from kdgen.scorecard import estimate_text, number_text

REPO = Path(__file__).resolve().parents[2]
KEPT = REPO / "docs" / "scorecard-default.csv"
DOCUMENTS = [REPO / "README.md", *(REPO / "docs" / f"{s}.md" for s in ("ganrep", "gmaug", "lfkd", "xkd")), REPO / "docs" / "scorecard.md"]
COMMAND = "PYTHONPATH=workflow python -m kdgen.scorecard_docs"
MARKER = re.compile(r"<!-- scorecard:(?P<key>[a-z]+) -->.*?<!-- /scorecard -->", re.S)


def _label(row: pd.Series) -> str:
    return row["claim"] + (f" ({row['variant']})" if isinstance(row["variant"], str) and row["variant"] else "")


def study_line(table: pd.DataFrame, study: str) -> str:
    """One study's verdicts: ``R1 holds · R2 holds · R3 inconclusive · ...``."""
    rows = table[table["study"] == study]
    return " · ".join(f"{_label(r)} **{r['verdict']}**" for _, r in rows.iterrows())


def card_table(table: pd.DataFrame) -> str:
    """The whole card: claim, the paper's words, estimate [interval], n, published, verdict."""
    lines = ["| claim | the paper says | this run: statistic | estimate [95% interval] | n | published | verdict |", "|---|---|---|---|---:|---:|---|"]
    for _, r in table.iterrows():
        est = estimate_text(r["estimate"], r["low"], r["high"])
        lines.append(f"| {_label(r)} | {r['paper']} | {r['statistic']} | {est} | {int(r['n'])} | {number_text(r['published'])} | **{r['verdict']}** |")
    return "\n".join(lines)


def blocks(table: pd.DataFrame) -> dict[str, str]:
    out = {study: study_line(table, study) for study in dict.fromkeys(table["study"])}
    out["table"] = "\n" + card_table(table) + "\n"
    return out


def fill(text: str, table: pd.DataFrame) -> str:
    """``text`` with every marked block replaced by what ``table`` says (an unknown key is an error)."""
    generated = blocks(table)

    def replace(m: re.Match[str]) -> str:
        key = m.group("key")
        if key not in generated:
            raise KeyError(f"<!-- scorecard:{key} -->: no such block; known: {sorted(generated)}")
        return f"<!-- scorecard:{key} -->{generated[key]}<!-- /scorecard -->"

    return MARKER.sub(replace, text)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def stale(table: pd.DataFrame) -> list[Path]:
    return [p for p in DOCUMENTS if p.read_text() != fill(p.read_text(), table)]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        bad = stale(read(KEPT))
        for p in bad:
            print(f"{p.relative_to(REPO)}: its scorecard blocks differ from {KEPT.relative_to(REPO)}; run: {COMMAND} {KEPT.relative_to(REPO)}", file=sys.stderr)
        return 1 if bad else 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    if source.resolve() != KEPT.resolve():
        shutil.copyfile(source, KEPT)
    table = read(KEPT)
    for p in DOCUMENTS:
        p.write_text(fill(p.read_text(), table))
    print(f"kept {KEPT.relative_to(REPO)} and rewrote the scorecard blocks of {len(DOCUMENTS)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
