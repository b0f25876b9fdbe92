"""The lemma tables: converted once into SQLite files, shared, and the same lemmas in memory."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from archiver.search import lexicon
from archiver.search.lexicon import Lexicon


def test_dictionary_forms_a_stemmer_cannot_reach() -> None:
    assert lexicon.lemma("blieb", "de") == "bleiben"
    assert lexicon.lemma("gezeigt", "de") == "zeigen"
    assert lexicon.lemma("gab", "de") == "geben"
    assert lexicon.lemma("went", "en") == "go"
    assert lexicon.lemma("children", "en") == "child"
    assert lexicon.lemma("toplantılar", "tr") == "toplantı"
    # what the table does not know, or a language without a table, stays as it is
    assert lexicon.lemma("zzqx", "de") == "zzqx"
    assert lexicon.lemma("went", "fi") == "went"


def test_a_file_keeps_only_what_stemming_does_not_do(tmp_path: Path) -> None:
    path = lexicon.convert("en", tmp_path)
    conn = sqlite3.connect(path)
    forms = dict(conn.execute("SELECT form, lemma FROM lemmas").fetchall())
    conn.close()
    assert forms["went"] == "go"
    assert "talks" not in forms  # talks / talk: one stem, no lookup needed
    # the same answer either way
    assert Lexicon(tmp_path).lemma("talks", "en") == "talks"


def test_where_the_directory_cannot_be_written_the_table_is_read_into_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    in_memory = Lexicon(blocker / "lexicon")
    on_disk = Lexicon(tmp_path / "ok")
    words = ["went", "children", "mice", "talks", "better", "zzqx"]
    assert [in_memory.lemma(w, "en") for w in words] == [on_disk.lemma(w, "en") for w in words]
    assert "read into memory" in caplog.text
    in_memory.close()
    on_disk.close()


def test_processes_that_need_a_table_at_once_convert_it_once(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    paths: list[Path] = []

    def convert() -> None:
        try:
            paths.append(lexicon.convert("en", tmp_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=convert) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(paths)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([paths[0].name, "en.lock"])


def test_prepare_reports_what_it_could_not_convert(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert lexicon.prepare(["en", "fi"], tmp_path / "ok") == []  # fi: no table, nothing to do
    assert lexicon.prepare(["en"], blocker / "x") == ["en"]


def test_the_conversion_child_refuses_a_language_without_a_table(tmp_path: Path) -> None:
    assert lexicon._main(["fi", str(tmp_path / "fi.sqlite3")]) == 1
    assert lexicon._main([]) == 2


def test_the_daemon_converts_the_archives_languages_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from archiver.poll.daemon import warm_lexicons

    monkeypatch.setenv("ARCHIVER_LEXICON_DIR", str(tmp_path / "lexicon"))
    assert not lexicon.converted("en")
    thread = warm_lexicons(["en", "fi", "ja"], logging.getLogger("test"))  # fi, ja: no table
    assert thread is not None
    thread.join(timeout=240)
    assert not thread.is_alive()
    assert lexicon.converted("en") and not lexicon.converted("fi")
    assert warm_lexicons(["en"], logging.getLogger("test")) is None  # nothing left to do
