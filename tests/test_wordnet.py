"""WordNet provisioning: the fallback chain, the system build, and the hierarchy lookups."""

from pathlib import Path

import pytest

from kdgen.data.wordnet import (
    LEXNAMES,
    WordNetUnavailable,
    build_from_system,
    has_wordnet,
    provision_wordnet,
    superclass_below,
)

SYSTEM = Path("/usr/share/wordnet")


def _never_called(*args, **kwargs):
    raise AssertionError("download must not be tried")


def test_existing_nltk_data_is_used_first(tmp_path, nltk_data):
    result = provision_wordnet(tmp_path / "target", [tmp_path / "empty", nltk_data], downloader=_never_called)
    assert result["method"] == "nltk_data" and Path(result["nltk_data"]) == nltk_data.resolve()
    assert "empty" in result["tried"][0]


def test_offline_download_returns_false_and_falls_back_to_the_system_database(tmp_path):
    if not (SYSTEM / "data.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    calls = []

    def offline(package, download_dir, quiet, raise_on_error):
        calls.append((package, download_dir))
        return False  # what nltk.download does without network: no exception

    result = provision_wordnet(tmp_path, [], downloader=offline, system_dir=SYSTEM)
    assert calls == [("wordnet", str(tmp_path))]
    assert result["method"].startswith("system database") and has_wordnet(tmp_path)
    assert "returned False" in result["tried"][0]


def test_a_successful_download_is_taken(tmp_path):
    def fake_download(package, download_dir, quiet, raise_on_error):
        folder = Path(download_dir) / "corpora" / "wordnet"
        folder.mkdir(parents=True)
        (folder / "data.noun").write_text("")
        return True

    result = provision_wordnet(tmp_path, [], downloader=fake_download, system_dir=None)
    assert result["method"] == "nltk.download"


def test_nothing_available_is_a_clear_error(tmp_path):
    with pytest.raises(WordNetUnavailable) as info:
        provision_wordnet(tmp_path / "t", [tmp_path / "none"], downloader=lambda *a, **k: False, system_dir=tmp_path / "nodb")
    message = str(info.value)
    assert "NLTK_DATA" in message and "apt-get install wordnet-base" in message and str(tmp_path / "nodb") in message


def test_incomplete_system_database_is_rejected(tmp_path):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "data.noun").write_text("")
    with pytest.raises(WordNetUnavailable, match="missing"):
        build_from_system(tmp_path / "db", tmp_path / "out")
    assert not (tmp_path / "out" / "corpora" / "wordnet").exists()


def test_system_build_has_lexnames_and_sense_index(nltk_data, wordnet):
    lexnames = (nltk_data / "corpora" / "wordnet" / "lexnames").read_text().splitlines()
    assert len(lexnames) == len(LEXNAMES) == 45 and lexnames[25].split() == ["25", "noun.shape", "1"]
    assert wordnet.get_version() == "3.0"
    assert wordnet.lemma_from_key("dog%1:05:00::").synset().name() == "dog.n.01"
    assert wordnet.lemma_from_key("emergent%5:00:00:nascent:00").synset().name() == "emergent.s.02"


def test_superclass_below_a_root(wordnet):
    root = wordnet.synset("plane_figure.n.01")
    assert superclass_below(wordnet.synset("hexagon.n.01"), root).name() == "polygon.n.01"
    assert superclass_below(wordnet.synset("circle.n.01"), root).name() == "conic_section.n.01"
    assert superclass_below(wordnet.synset("star.n.05"), root).name() == "star.n.05"
    with pytest.raises(ValueError, match="not a hypernym"):
        superclass_below(wordnet.synset("dog.n.01"), root)
