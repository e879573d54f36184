"""WordNet for NLTK: provisioning, loading, and hypernym-based class hierarchies.

Provisioning tries, in order:

1. an ``NLTK_DATA`` folder (or an explicit list of folders) that already holds WordNet;
2. ``nltk.download("wordnet")`` into the project's folder (it returns ``False`` offline, it does not raise);
3. an NLTK layout built from a system WordNet 3.0 database (Debian's ``wordnet-base``,
   ``/usr/share/wordnet``): the database files, the 45-line ``lexnames`` file NLTK needs and an
   ``index.sense`` file derived from the database;
4. a clear error that says where it looked and how to fix it.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

#: The WordNet lexicographer files, in the order of their numbers (``lexnames`` in the WordNet
#: distribution). Debian's package does not ship this file; NLTK cannot open WordNet without it.
LEXNAMES: tuple[str, ...] = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
)
_LEX_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
_SS_TYPE = {"n": 1, "v": 2, "a": 3, "r": 4, "s": 5}
_POS_FILES = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_DB_FILES = [f"{kind}.{pos}" for kind in ("data", "index") for pos in _POS_FILES] + [
    f"{pos}.exc" for pos in _POS_FILES
]
_MARKER = re.compile(r"\((a|p|ip)\)$")


class WordNetUnavailable(RuntimeError):
    """No WordNet could be found, downloaded or built."""


def has_wordnet(nltk_data: str | os.PathLike[str]) -> bool:
    """True when ``nltk_data`` holds an NLTK WordNet corpus (folder or zip)."""
    corpora = Path(nltk_data) / "corpora"
    return (corpora / "wordnet" / "data.noun").is_file() or (corpora / "wordnet.zip").is_file()


def write_lexnames(path: Path) -> None:
    """Write the ``lexnames`` file in the format NLTK parses: number, name, syntactic category."""
    lines = [
        f"{i:02d}\t{name}\t{_LEX_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
    ]
    path.write_text("".join(lines))


def _lemma_key(word: str) -> str:
    return _MARKER.sub("", word).lower()


def _parse_data_file(path: Path) -> Iterable[tuple[str, str, str, list[tuple[str, int]], list[tuple[str, str, str]]]]:
    """Yield (offset, lex_filenum, ss_type, [(lemma, lex_id)], [(symbol, offset, pos)]) per synset."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("  "):
                continue  # licence header
            fields = line.split(" | ", 1)[0].split()
            offset, lex_filenum, ss_type, w_cnt = fields[0], fields[1], fields[2], int(fields[3], 16)
            words = [(fields[4 + 2 * i], int(fields[5 + 2 * i], 16)) for i in range(w_cnt)]
            at = 4 + 2 * w_cnt
            p_cnt = int(fields[at])
            pointers = [
                (fields[at + 1 + 4 * i], fields[at + 2 + 4 * i], fields[at + 3 + 4 * i]) for i in range(p_cnt)
            ]
            yield offset, lex_filenum, ss_type, words, pointers


def build_index_sense(wordnet_dir: Path, counts_file: Path | None = None) -> int:
    """Derive WordNet's ``index.sense`` (sense key, offset, sense number, tag count) from the database.

    NLTK opens ``index.sense`` when it loads WordNet; Debian's ``wordnet-base`` does not ship it.
    Returns the number of sense keys written.
    """
    tag_counts: dict[str, int] = {}
    if counts_file is not None and counts_file.is_file():
        for line in counts_file.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3:
                tag_counts[parts[0]] = int(parts[2])
    # sense numbers: the position of the synset in the lemma's line of index.<pos>
    sense_number: dict[tuple[str, str, str], int] = {}
    for pos_name, pos in _POS_FILES.items():
        with (wordnet_dir / f"index.{pos_name}").open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma, synset_cnt = fields[0], int(fields[2])
                for rank, offset in enumerate(fields[-synset_cnt:], start=1):
                    sense_number[(pos, lemma, offset)] = rank
    synsets = {
        (pos, offset): (lex_filenum, ss_type, words, pointers)
        for pos_name, pos in _POS_FILES.items()
        for offset, lex_filenum, ss_type, words, pointers in _parse_data_file(wordnet_dir / f"data.{pos_name}")
    }
    rows = []
    for (pos, offset), (lex_filenum, ss_type, words, pointers) in synsets.items():
        head = ":"  # head word and head id: empty except for adjective satellites
        if ss_type == "s":
            head_offset = next(off for sym, off, p in pointers if sym == "&" and p == "a")
            head_word, head_lex_id = synsets[("a", head_offset)][2][0]
            head = f"{_lemma_key(head_word)}:{head_lex_id:02d}"
        for word, lex_id in words:
            lemma = _lemma_key(word)
            key = f"{lemma}%{_SS_TYPE[ss_type]}:{lex_filenum}:{lex_id:02d}:{head}"
            rank = sense_number.get((pos, lemma, offset), 0)
            rows.append(f"{key} {offset} {rank} {tag_counts.get(key, 0)}\n")
    rows.sort()
    (wordnet_dir / "index.sense").write_text("".join(rows), encoding="utf-8")
    return len(rows)


def build_from_system(system_dir: str | os.PathLike[str], nltk_data: str | os.PathLike[str]) -> Path:
    """Build the NLTK WordNet layout under ``nltk_data`` from a WordNet 3.0 database folder."""
    src = Path(system_dir)
    missing = [name for name in _DB_FILES if not (src / name).is_file()]
    if missing:
        raise WordNetUnavailable(
            f"{src} is not a WordNet 3.0 database: missing {', '.join(missing)}"
        )
    target = Path(nltk_data) / "corpora" / "wordnet"
    partial = target.with_name("wordnet.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in _DB_FILES:
        shutil.copyfile(src / name, partial / name)
    write_lexnames(partial / "lexnames")
    build_index_sense(partial, src / "cntlist.rev")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)  # nothing half-written is left under the final name
    return target


def provision_wordnet(
    target: str | os.PathLike[str],
    search_paths: Sequence[str | os.PathLike[str]] = (),
    try_download: bool = True,
    system_dir: str | os.PathLike[str] | None = "/usr/share/wordnet",
    downloader: Callable[..., bool] | None = None,
) -> dict[str, Any]:
    """Make WordNet available to NLTK and say how; returns ``{"method", "nltk_data", "tried"}``.

    ``search_paths`` are folders checked first (typically ``$NLTK_DATA`` split on ``os.pathsep``).
    ``target`` is where a download or a system build goes. ``downloader`` defaults to ``nltk.download``.
    """
    tried: list[str] = []
    for folder in search_paths:
        if folder and has_wordnet(folder):
            return {"method": "nltk_data", "nltk_data": str(Path(folder).resolve()), "tried": tried}
        tried.append(f"NLTK_DATA folder {folder}: no corpora/wordnet")
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if has_wordnet(target):
        return {"method": "existing", "nltk_data": str(target.resolve()), "tried": tried}
    if try_download:
        if downloader is None:
            import nltk

            downloader = nltk.download
        ok = downloader("wordnet", download_dir=str(target), quiet=True, raise_on_error=False)
        if ok and has_wordnet(target):
            return {"method": "nltk.download", "nltk_data": str(target.resolve()), "tried": tried}
        tried.append("nltk.download('wordnet'): returned False (offline?)")
    if system_dir is not None and Path(system_dir).is_dir():
        try:
            build_from_system(system_dir, target)
            return {"method": f"system database {system_dir}", "nltk_data": str(target.resolve()), "tried": tried}
        except WordNetUnavailable as err:
            tried.append(str(err))
    else:
        tried.append(f"system WordNet database {system_dir}: not found")
    raise WordNetUnavailable(
        "WordNet for NLTK is not available. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\nFix one of: set NLTK_DATA to a folder holding corpora/wordnet; allow network access for "
        "nltk.download('wordnet'); or install the WordNet 3.0 database (Debian/Ubuntu: "
        "`apt-get install wordnet-base`) and set wordnet.system_dir in the config to its folder."
    )


def load_wordnet(nltk_data: str | os.PathLike[str]) -> Any:
    """Return NLTK's WordNet reader over the corpus in ``nltk_data``.

    NLTK resolves the reference WordNet through ``nltk.data.path``; the folder is put first on it so
    this corpus is the one read.
    """
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    folder = str(Path(nltk_data).resolve())
    if not has_wordnet(folder):
        raise WordNetUnavailable(f"no WordNet corpus under {folder}/corpora; run the wordnet rule first")
    if folder not in nltk.data.path:
        nltk.data.path.insert(0, folder)
    with warnings.catch_warnings():  # "multilingual functions are not available": no OMW is loaded
        warnings.simplefilter("ignore", UserWarning)
        return WordNetCorpusReader(nltk.data.find("corpora/wordnet"), None)


def wnid(synset: Any) -> str:
    """ImageNet-style WordNet id of a synset: part of speech and 8-digit offset, e.g. ``n04463679``."""
    return f"{synset.pos()}{synset.offset():08d}"


def superclass_below(synset: Any, root: Any) -> Any:
    """The hypernym of ``synset`` directly below ``root`` on its (shortest) path from the root.

    A synset that is a direct child of ``root`` is its own super-class. Raises ``ValueError`` when
    ``root`` is not a hypernym of ``synset``. Paths of one length are taken in the order of their synsets'
    names (NLTK lists them in an order that changes with Python's hash seed).
    """
    paths = [p for p in synset.hypernym_paths() if root in p]
    if not paths:
        raise ValueError(f"{root.name()} is not a hypernym of {synset.name()}")
    path = min(paths, key=lambda p: (len(p), [s.name() for s in p]))
    return path[path.index(root) + 1]
