"""extract.language: the page's own declaration first, else detection by the model."""

from __future__ import annotations

import subprocess
import sys

import lxml.html
import pytest

from archiver.extract import metadata
from archiver.extract.generic import justext_stoplist
from archiver.extract.language import detect, language, page_language

TEXTS = [
    ("en", "The ministry said on Tuesday that the talks would resume next week in Geneva."),
    ("de", "Das Ministerium teilte am Dienstag mit, die Gespräche würden nächste Woche beginnen."),
    ("fr", "Le ministère a indiqué mardi que les négociations reprendraient la semaine prochaine."),
    ("ru", "Министерство сообщило во вторник, что переговоры возобновятся на следующей неделе."),
    ("tr", "Bakanlık salı günü görüşmelerin gelecek hafta başlayacağını söyledi."),
    ("ko", "외교부는 화요일 다음 주에 회담이 재개될 것이라고 밝혔다."),
    ("ja", "外務省は火曜日、来週ジュネーブで協議を再開すると発表した。"),
    ("zh", "外交部星期二表示，会谈将于下周在日内瓦恢复。"),
]


@pytest.mark.parametrize(("code", "text"), TEXTS)
def test_detects_the_language_of_a_sentence(code: str, text: str) -> None:
    assert detect(text) == code


def test_han_characters_without_kana_are_chinese_not_japanese() -> None:
    # the model alone calls this short Chinese line Japanese
    assert detect("中国外交部发言人表示，双方将继续保持沟通") == "zh"


def test_nothing_to_read_is_no_language() -> None:
    assert detect("") is None
    assert detect(" \n\t ") is None


def test_lines_are_read_as_one() -> None:
    assert detect("The ministry said on Tuesday\nthat the talks would resume next week.") == "en"


def page(html: str) -> metadata.PageMeta:
    return metadata.gather(lxml.html.document_fromstring(html))


def test_the_pages_declaration_wins_over_detection() -> None:
    meta = page("<html lang='de-AT'><body><p>x</p></body></html>")
    assert language(meta, TEXTS[0][1]) == "de"


def test_detection_when_the_page_declares_nothing() -> None:
    meta = page("<html><body><p>x</p></body></html>")
    assert language(meta, TEXTS[3][1]) == "ru"
    assert language(meta, "Too short.") is None


def test_page_language_reads_the_paragraphs_before_the_body_is_known() -> None:
    html = f"<html><body><div>menu</div><p>{TEXTS[2][1]}</p><p>{TEXTS[2][1]}</p></body></html>"
    doc = lxml.html.document_fromstring(html)
    assert page_language(metadata.gather(doc), doc) == "fr"


def test_justext_gets_the_stop_words_of_one_language() -> None:
    english, german = justext_stoplist("en"), justext_stoplist("de")
    assert "the" in english and "und" in german and "und" not in english
    # a language justext has no list for: no stop words, not every list
    assert justext_stoplist("ja") == justext_stoplist(None)
    assert "the" not in justext_stoplist(None)


def test_the_extraction_processes_load_neither_py3langid_nor_numpy() -> None:
    script = (
        "import sys\n"
        "import archiver.poll.warmup\n"
        "print(sorted(m for m in ('py3langid', 'numpy') if sys.modules.get(m)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
