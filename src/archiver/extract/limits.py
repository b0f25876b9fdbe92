"""Cheap limits that keep hostile pages linear: attributes per tag, nesting depth, text.

libxml2 checks each attribute of a tag against the ones before it (a ``<div>`` with 100,000
attributes takes minutes), and trafilatura/jusText walk every ancestor of every node (20,000
nested tables take minutes). So, before lxml sees the page, a tag with more than
``MAX_ATTRIBUTES`` attributes keeps only its first ones (:func:`cap_attributes`, one regex
pass with possessive quantifiers: no backtracking); after the parse, elements deeper than
``MAX_DEPTH`` are folded into their ancestor at that depth as plain text and tables nested in
more than ``MAX_TABLE_DEPTH`` tables become ``<div>`` (:func:`cap_depth`, one XPath walk that
visits each node at most once). :func:`xml_safe` removes the characters an XPath variable
rejects; :func:`without_controls` turns control characters (also written ``&#1;``) into
spaces before the parse, as they break trafilatura and XPath variables.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

MAX_ATTRIBUTES = 256  # per tag; real pages stay far below (73 is the most in the corpus)
MAX_DEPTH = 120  # element depth kept; real pages stay far below (33 in the corpus)
MAX_TABLE_DEPTH = 8  # tables nested deeper than this are read as <div>

# One attribute, HTML5-style: optional separators, a name, an optional value. Possessive
# quantifiers and an atomic group: whatever follows, nothing is given back.
_ATTRIBUTE = r"""(?>[\s/]*+(?:[^\s/>=]++|=)(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]++))?+)"""
_CROWDED_TAG = re.compile(rf"(<[A-Za-z][^\s/>]*+)({_ATTRIBUTE}{{{MAX_ATTRIBUTES}}})")
_MORE_ATTRIBUTES = re.compile(rf"{_ATTRIBUTE}*+")
_ANGLES = str.maketrans({"<": "&lt;", ">": "&gt;"})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROLS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
_AS_SPACE = dict.fromkeys(map(ord, _CONTROLS), " ")
_CONTROL_REF = re.compile(  # &#1; &#x1F; ... (libxml2 keeps them as characters)
    r"&#(?:0*+(?:[0-8]|1[124-9]|2[0-9]|3[01])(?![0-9])|[xX]0*+(?:[0-8bBcCeEfF]|1[0-9a-fA-F])"
    r"(?![0-9a-fA-F]));?"
)

_AT_DEPTH = etree.XPath("/*" + "/*" * MAX_DEPTH)
_NESTED_TABLES = etree.XPath("//table" + "//table" * MAX_TABLE_DEPTH)
_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col")


def cap_attributes(text: str) -> str:
    """``text`` with every tag cut to its first ``MAX_ATTRIBUTES`` attributes (``<`` and
    ``>`` inside the kept values of such a tag escaped, so nothing hides in them)."""
    match = _CROWDED_TAG.search(text)
    if match is None:
        return text
    out: list[str] = []
    pos = 0
    while match is not None:
        rest = _MORE_ATTRIBUTES.match(text, match.end())
        end = rest.end() if rest else match.end()
        out.append(text[pos : match.start()])
        out.append(match.group(1) + match.group(2).translate(_ANGLES))
        pos = end
        match = _CROWDED_TAG.search(text, pos)
    out.append(text[pos:])
    return "".join(out)


def cap_depth(doc: HtmlElement) -> None:
    """Fold what lies deeper than ``MAX_DEPTH`` into text; read deeply nested tables as
    ``<div>`` (in place)."""
    for el in _AT_DEPTH(doc):
        text = el.text_content()
        for child in list(el):
            el.remove(child)
        el.text = text
    for table in _NESTED_TABLES(doc):
        for part in table.iter(*_TABLE_PARTS):
            part.tag = "div"


def without_controls(text: str) -> str:
    """``text`` with control characters (and references to them) as spaces: lxml keeps
    them, and they then break every XPath variable and tree edit that meets them."""
    if any(c in text for c in _CONTROLS):
        text = text.translate(_AS_SPACE)
    if "&#" in text and _CONTROL_REF.search(text):
        text = _CONTROL_REF.sub(" ", text)
    return text


def xml_safe(text: str) -> str:
    """``text`` without the characters XML (and so an lxml XPath variable) cannot hold."""
    return _NOT_XML.sub(" ", text) if _NOT_XML.search(text) else text
