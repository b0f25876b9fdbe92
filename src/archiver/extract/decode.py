"""Bytes to text: BOM, strict UTF-8, the HTTP charset, the page's <meta> charset, detection.

Order of trust:

1. a byte-order mark;
2. the bytes are valid UTF-8 (and hold non-ASCII bytes): UTF-8, whatever the labels say.
   Multi-byte UTF-8 sequences almost never occur by chance in legacy-encoded text, while
   pages re-saved as UTF-8 with a stale ``iso-8859-1`` label are common;
3. otherwise bs4's ``UnicodeDammit`` with the HTTP charset as a known encoding, then the
   ``<meta>`` charset, then statistical detection, then windows-1252. A ``utf-8`` label is
   left out at this point (the bytes are not UTF-8: latin-1 labelled as UTF-8).

Labels are mapped to the supersets browsers use (WHATWG): latin-1 -> windows-1252,
gb2312/gbk -> gb18030, and so on.
"""

from __future__ import annotations

import codecs
import re

from bs4 import UnicodeDammit

from archiver.errors import ParseError

# WHATWG: these labels are decoded with a superset
_SUPERSETS = {
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "l1": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "iso-8859-9": "windows-1254",
    "iso-8859-11": "windows-874",
    "tis-620": "windows-874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
}
_UTF8 = {"utf-8", "utf8", "utf_8"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)


def normalise_charset(label: str | None) -> str | None:
    """A charset label as Python can use it (superset applied), or None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def meta_charset(data: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first 4 KiB, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_html(data: bytes | str, charset: str | None = None) -> tuple[str, str | None]:
    """Return (text, encoding used). ``charset`` is the HTTP Content-Type charset."""
    if isinstance(data, str):
        return data, None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError(f"cannot decode a {type(data).__name__} as HTML")
    data = bytes(data)
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:  # the utf-16/32 codecs read and drop their BOM themselves
                return (data[len(bom) :] if name == "utf-8" else data).decode(name), name
            except UnicodeDecodeError:
                break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text, ("utf-8" if not data.isascii() else (normalise_charset(charset) or "utf-8"))
    # HTTP label first, then the page's own label (as its superset), then detection
    labels = (normalise_charset(charset), normalise_charset(meta_charset(data)))
    known = list(dict.fromkeys(c for c in labels if c and c not in _UTF8))
    dammit = UnicodeDammit(
        data, known_definite_encodings=known, exclude_encodings=["utf-8"], is_html=True
    )
    if dammit.unicode_markup is None:
        return data.decode("windows-1252", "replace"), "windows-1252"
    used = dammit.original_encoding
    return dammit.unicode_markup, (normalise_charset(used) or used)
