"""Bytes to text: BOM, strict UTF-8, the HTTP charset, the page's <meta> charset, detection.

Order of trust:

1. a byte-order mark;
2. the bytes are valid UTF-8 (and hold non-ASCII bytes): UTF-8, whatever the labels say.
   Multi-byte UTF-8 sequences almost never occur by chance in legacy-encoded text, while
   pages re-saved as UTF-8 with a stale ``iso-8859-1`` label are common;
3. the bytes are UTF-8 but for a few stray bytes (more valid multi-byte characters than
   invalid bytes: a template in UTF-8 with a latin-1 string pasted in): UTF-8, each stray
   byte read as windows-1252;
4. otherwise the HTTP charset, then the ``<meta>`` charset, the first that decodes the
   bytes strictly (a ``utf-8`` label is left out at this point: the bytes are not UTF-8);
5. else statistical detection (chardet) on a bounded sample, the non-ASCII runs with a few
   bytes of context up to ``SAMPLE_BYTES``, so that detection costs milliseconds on any
   page; then windows-1252.

Labels are mapped to the supersets browsers use (WHATWG): latin-1 -> windows-1252,
gb2312/gbk -> gb18030, and so on.
"""

from __future__ import annotations

import codecs
import re

import chardet

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
SAMPLE_BYTES = 8_192  # of non-ASCII text (and its context) given to detection
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_STRAY = re.compile("[\udc80-\udcff]")  # an invalid byte, as surrogateescape decodes it
# windows-1252 for the bytes 0x80-0xff (its five unassigned bytes as their latin-1 control)
_CP1252 = [
    bytes([b]).decode("windows-1252", "replace").replace("\ufffd", chr(b))
    for b in range(0x80, 0x100)
]
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
    text, stray = _utf8_with_strays(data)
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if stray < non_ascii - stray:  # mostly UTF-8: the stray bytes as windows-1252
        return text, "utf-8"
    # HTTP label first, then the page's own label (as its superset), then detection
    labels = (normalise_charset(charset), normalise_charset(meta_charset(data)))
    for label in dict.fromkeys(c for c in labels if c and c not in _UTF8):
        try:
            return data.decode(label), label
        except (UnicodeDecodeError, LookupError):
            continue
    detected = normalise_charset(chardet.detect(_sample(data)).get("encoding"))
    if detected and detected not in _UTF8:
        return data.decode(detected, "replace"), detected
    return data.decode("windows-1252", "replace"), "windows-1252"


def _utf8_with_strays(data: bytes) -> tuple[str, int]:
    """``data`` as UTF-8 with every invalid byte read as windows-1252, and how many there were."""
    text = data.decode("utf-8", "surrogateescape")
    strays = _STRAY.findall(text)
    if not strays:
        return text, 0
    return _STRAY.sub(lambda m: _CP1252[ord(m.group()) - 0xDC80], text), len(strays)


def _sample(data: bytes) -> bytes:
    """The non-ASCII runs of ``data`` with a few bytes either side, up to ``SAMPLE_BYTES``."""
    out: list[bytes] = []
    size = 0
    for match in _NON_ASCII.finditer(data):
        out.append(data[max(0, match.start() - 24) : match.end() + 24])
        size += len(out[-1])
        if size >= SAMPLE_BYTES:
            break
    return b" ".join(out)
