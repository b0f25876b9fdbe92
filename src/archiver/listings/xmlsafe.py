"""The entity gate: refuse XML that could expand or fetch entities, before any parser sees it.

feedparser's fallback parser and libxml2 both expand entities declared in a DTD; a 20 KB
document can become 25 M characters ("billion laughs", or one large entity used many times),
and an external entity can read ``file:///etc/passwd``. Without an entity declaration there is
nothing to expand, so the gate refuses:

* any ``<!ENTITY`` declaration anywhere in the document (a byte search, cheap on 100 MB, so a
  declaration hidden after a long comment, or misplaced after the root element where a lenient
  parser might still read it, is found too);
* a DOCTYPE with an internal subset holding anything at all (declarations, parameter-entity
  references such as ``%xxe;``);
* a DOCTYPE whose external DTD is not an http(s) URL (``SYSTEM "file:///etc/passwd"``);
* an encoding in which ASCII markup is not written as ASCII bytes (UTF-7, EBCDIC, HZ, or a
  name Python does not know), since the byte search could not see through it;
* a prolog (what comes before the root element) longer than 64 KiB, so a DOCTYPE hidden
  behind a long comment or processing instruction cannot slip past a bounded scan.

A plain ``<!DOCTYPE rss PUBLIC "..." "http://...">`` (never loaded: lxml runs with
``no_network`` and without DTD loading, feedparser strips it) is allowed, and so are byte-order
marks, UTF-16 and UTF-32 (transcoded to UTF-8 for the scan). The prolog walk follows comments
and processing instructions with ``find`` and stops at the root element; the cost is at most
64 KiB of walking plus one byte search of the document (about 30 ms for 100 MB).
"""

from __future__ import annotations

import codecs
import re
import string

from archiver.errors import UnsafeXML

_ENTITY_DECL = b"<!ENTITY"
PROLOG_LIMIT = 64 * 1024  # bytes before the root element
_XML_DECL_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_NAME = re.compile(rb"[A-Za-z_:][-A-Za-z0-9._:]*")
_QUOTED = re.compile(rb"""\s*("[^"]*"|'[^']*')""")
_PRINTABLE = string.printable.replace("\x0b", "").replace("\x0c", "")
# (BOM, codec) in the order they must be tested: UTF-32 LE starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_EBCDIC_XML_DECL = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, which libxml2 and feedparser decode
# A wide encoding without a BOM shows NULs among its first bytes (XML 1.0 appendix F).
_WIDE_SNIFF: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"[^\x00]\x00\x00\x00"), "utf-32-le"),
    (re.compile(rb"\x00\x00\x00[^\x00]"), "utf-32-be"),
    (re.compile(rb"[^\x00]\x00[^\x00]\x00"), "utf-16-le"),
    (re.compile(rb"\x00[^\x00]\x00[^\x00]"), "utf-16-be"),
)


def check_xml(content: bytes, url: str = "") -> None:
    """Raise UnsafeXML when ``content`` declares entities or points at a non-web DTD.

    Returns None for documents that are safe to hand to feedparser or lxml. Documents that
    are not XML at all (HTML, garbage) pass when they hold no declaration: the parser that
    follows reports them.
    """
    where = f" in {url}" if url else ""
    data = _as_ascii_compatible(content, where)
    if data.find(_ENTITY_DECL) >= 0:
        raise UnsafeXML(f"XML entity declaration (<!ENTITY) refused{where}")
    doctype = _find_doctype(data, where)
    if doctype is not None:
        _check_doctype(data, doctype, where)


def ascii_safe_encoding(name: str) -> bool:
    """True when ``name`` is a codec Python knows that writes printable ASCII as itself.

    UTF-16/32 are False here (they are transcoded before the scan); so are UTF-7, EBCDIC and
    HZ, and names Python does not know.
    """
    lowered = name.strip().lower()
    spellings = (lowered, lowered.replace("windows-", "cp"), lowered.removeprefix("x-"))
    for spelling in spellings:  # "windows-874" is Python's "cp874", "x-mac-roman" its "mac-roman"
        try:
            codec = codecs.lookup(spelling)
            break
        except LookupError:
            continue
    else:
        return False
    try:
        return _PRINTABLE.encode(codec.name) == _PRINTABLE.encode("ascii")
    except (UnicodeError, ValueError):
        return False


def _as_ascii_compatible(content: bytes, where: str) -> bytes:
    """The document as bytes in which ASCII markup is ASCII (wide encodings transcoded)."""
    wide: str | None = None
    for bom, codec in _BOMS:
        if content.startswith(bom):
            if codec == "utf-8":
                return content[len(bom) :]
            wide = codec
            content = content[len(bom) :]
            break
    else:
        for head, codec in _WIDE_SNIFF:
            if head.match(content):
                wide = codec
                break
    if wide is not None:
        return content.decode(wide, errors="replace").encode("utf-8")
    if content.startswith(_EBCDIC_XML_DECL):
        raise UnsafeXML(f"EBCDIC-encoded XML refused{where}")
    match = _XML_DECL_ENCODING.match(content)
    if match:
        declared = match.group(1).decode("ascii")
        # a declared UTF-16 after a UTF-8 reading is a mislabel; the byte scan still holds
        if not declared.lower().startswith(("utf-16", "utf-32", "ucs")) and not (
            ascii_safe_encoding(declared)
        ):
            raise UnsafeXML(f"XML encoding {declared!r} refused{where}")
    return content


def _find_doctype(data: bytes, where: str) -> int | None:
    """Offset of the DOCTYPE in the prolog, or None when the root element comes first.

    A prolog (everything before the root element) longer than PROLOG_LIMIT is refused: no
    real feed has one, and a DOCTYPE hidden behind a long comment must not be missed.
    """
    pos = 0
    size = len(data)
    while pos < size:
        start = data.find(b"<", pos)
        if start < 0 or start + 1 >= size:
            return None
        if start > PROLOG_LIMIT:
            raise UnsafeXML(f"no root element in the first {PROLOG_LIMIT} bytes refused{where}")
        nxt = data[start + 1 : start + 2]
        if data.startswith(b"<!--", start):
            end = data.find(b"-->", start + 4)
            if end < 0:
                return None
            pos = end + 3
        elif nxt == b"?":
            end = data.find(b"?>", start + 2)
            if end < 0:
                return None
            pos = end + 2
        elif data[start + 2 : start + 9].upper() == b"DOCTYPE" and nxt == b"!":
            return start
        elif nxt == b"!":  # another declaration in the prolog (not XML); skip it
            pos = start + 2
        elif _NAME.match(data, start + 1):
            return None  # the root element: the prolog is over
        else:
            pos = start + 1  # text or stray "<" before the root: keep looking
    return None


def _check_doctype(data: bytes, start: int, where: str) -> None:
    pos = start + len(b"<!DOCTYPE")
    name = _NAME.match(data, _skip_space(data, pos))
    if name is None:
        raise UnsafeXML(f"malformed DOCTYPE refused{where}")
    pos = _skip_space(data, name.end())
    keyword = _NAME.match(data, pos)
    if keyword is not None:
        literals: list[bytes] = []
        pos = keyword.end()
        wanted = {b"SYSTEM": 1, b"PUBLIC": 2}.get(keyword.group().upper())
        if wanted is None:
            raise UnsafeXML(f"malformed DOCTYPE refused{where}")
        for _ in range(wanted):
            quoted = _QUOTED.match(data, pos)
            if quoted is None:
                break
            literals.append(quoted.group(1)[1:-1])
            pos = quoted.end()
        system = literals[-1].strip() if len(literals) == wanted else b""
        if system and not system.lower().startswith((b"http://", b"https://")):
            shown = system[:80].decode("ascii", errors="replace")
            raise UnsafeXML(f"external DTD {shown!r} refused{where}")
        pos = _skip_space(data, pos)
    if data[pos : pos + 1] == b"[":
        close = data.find(b"]", pos + 1)
        subset = data[pos + 1 : close if close >= 0 else len(data)]
        if subset.strip():
            raise UnsafeXML(f"DTD internal subset with declarations refused{where}")


def _skip_space(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos : pos + 1] in (b" ", b"\t", b"\r", b"\n"):
        pos += 1
    return pos
