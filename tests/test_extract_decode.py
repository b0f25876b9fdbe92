"""Decoding: HTTP charset, <meta> charset, BOM, detection, and labels that lie."""

from __future__ import annotations

import codecs

from archiver.extract import decode_html, extract
from archiver.extract.decode import SAMPLE_BYTES, _sample

RU_TITLE = "Движение открывается от Можайского до Новорижского шоссе"
RU_BODY = (
    "МОСКВА, 29 июня. /ТАСС/. Движение по новому участку кольцевой дороги открывается в "
    "понедельник, сообщили в госкомпании. Работы на участке продолжались два года, "
    "и теперь водители смогут объехать город без заторов."
)
ZH_TITLE = "北京市发布暴雨蓝色预警"
ZH_BODY = (
    "北京，8月20日电 北京市气象台今天下午发布暴雨蓝色预警，预计今天夜间到明天白天，"
    "本市大部分地区将出现中到大雨，局地暴雨。气象部门提醒市民注意出行安全，"
    "远离河道和低洼地区。相关部门已经做好防汛准备工作。"
)
FR_BODY = (
    "PARIS (AFP) - Le café de la gare a rouvert ses portes lundi après des mois de "
    "travaux, a annoncé la mairie, précisant que la façade rénovée sera éclairée dès "
    "l'été. « Nous sommes très heureux », a déclaré le gérant à l'AFP."
)


def page(title: str, body: str, meta_charset: str | None = None) -> str:
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    paragraphs = "".join(f"<p>{body}</p>" for _ in range(3))
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def test_windows_1251_from_the_http_charset() -> None:
    data = page(RU_TITLE, RU_BODY).encode("windows-1251")
    text, encoding = decode_html(data, "windows-1251")
    assert RU_TITLE in text and encoding == "windows-1251"
    article = extract(data, "https://example.ru/news/1", charset="windows-1251")
    assert article.title == RU_TITLE
    assert article.encoding == "windows-1251"
    assert "Движение по новому участку" in article.body


def test_windows_1251_from_the_meta_charset_only() -> None:
    data = page(RU_TITLE, RU_BODY, meta_charset="windows-1251").encode("windows-1251")
    article = extract(data, "https://example.ru/news/1")
    assert article.title == RU_TITLE


def test_windows_1251_without_any_label_is_detected() -> None:
    data = page(RU_TITLE, RU_BODY).encode("windows-1251")
    text, _ = decode_html(data)
    assert RU_TITLE in text


def test_gb2312_from_the_meta_charset() -> None:
    data = page(ZH_TITLE, ZH_BODY, meta_charset="gb2312").encode("gb2312")
    article = extract(data, "https://example.cn/news/2")
    assert article.title == ZH_TITLE
    assert "北京市气象台" in article.body
    assert article.encoding == "gb18030"  # the superset browsers use for gb2312


def test_latin1_labelled_as_utf8_comes_out_right() -> None:
    data = page("Le café rouvre", FR_BODY, meta_charset="utf-8").encode("latin-1")
    text, encoding = decode_html(data, "utf-8")
    assert "café" in text and "Ã" not in text
    assert encoding == "windows-1252"
    article = extract(data, "https://example.fr/a/3", charset="utf-8")
    assert article.title == "Le café rouvre"
    assert "« Nous sommes très heureux »" in article.body


def test_utf8_labelled_as_latin1_is_read_as_utf8() -> None:
    data = page("Le café rouvre", FR_BODY, meta_charset="iso-8859-1").encode("utf-8")
    text, encoding = decode_html(data, "iso-8859-1")
    assert "café" in text and "Ã©" not in text
    assert encoding == "utf-8"


def test_byte_order_marks() -> None:
    html = page(RU_TITLE, RU_BODY)
    assert decode_html(codecs.BOM_UTF8 + html.encode("utf-8"))[0] == html
    assert decode_html(html.encode("utf-16"))[0] == html  # carries its own BOM


def test_text_passes_through() -> None:
    assert decode_html("<p>déjà</p>") == ("<p>déjà</p>", None)


def test_a_utf8_page_with_a_few_stray_latin1_bytes_stays_utf8() -> None:
    # a UTF-8 template with one latin-1 string pasted in (an image's alt text)
    body = "Die Vögel werden gepflegt, bis sie wieder fliegen können. " * 5
    data = page("Auffangstation für Wildvögel", body, meta_charset="utf-8").encode(
        "utf-8"
    ) + '<img alt="Am 26. September: Mitgefühl wählen!">'.encode("latin-1")
    text, encoding = decode_html(data, "utf-8")
    assert encoding == "utf-8"
    assert "Auffangstation für Wildvögel" in text  # the UTF-8 is not read as mac-roman
    assert "Mitgefühl wählen!" in text  # and the stray bytes as windows-1252


def test_detection_reads_a_bounded_sample() -> None:
    # an unlabelled latin-1 page with a long ASCII script: detection sees the accented runs
    script = "<script>var x = 1;" + "x = x + 1;" * 200_000 + "</script>"
    data = (page("Le café rouvre", FR_BODY) + script).encode("latin-1")
    text, encoding = decode_html(data)
    assert "« Nous sommes très heureux »" in text
    assert encoding == "windows-1252"
    assert len(_sample(data)) <= SAMPLE_BYTES + 64
