"""Wire datelines at the start of a body -> Dateline(text, place, date, agency).

Styles read (the text stays in the body as written; these are its parts):

    BAKU, January 30. /TASS/.            МОСКВА, 29 июня. /ТАСС/.
    KATHMANDU, April 25 (Reuters) -      MEXICO CITY (AP) —
    SEOUL, Aug. 20 (Yonhap) --           BEIJING, Jan. 5 (Xinhua) --
    ANKARA (AA) -                        PARIS (AFP) -
    TOKYO, Jan. 1 Kyodo -                WASHINGTON, Jan. 1 (UPI) --

and Anadolu's habit of a first paragraph holding only the city (``ANKARA``), whose agency
comes from the site rule.
"""

from __future__ import annotations

import re

from archiver.models import Dateline

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁÇĞİÖŞÜ"
_PLACE = rf"[{_UPPER}][{_UPPER}'’.\- /]{{0,40}}?[{_UPPER}.]"
_BARE_AGENCIES = r"Kyodo|Xinhua|Bernama|KUNA|IRNA|WAM|Interfax|Antara|Yonhap"
_DATELINE = re.compile(
    rf"^(?P<place>{_PLACE})"
    r"(?:,\s*(?P<date>[^()/\n]{1,30}?))?\s*"
    r"(?:"
    r"\.?\s*/\s*(?P<a1>[^/\n]{2,20}?)\s*/\s*\.?"  # . /TASS/.
    r"|\(\s*(?P<a2>[^()\n\d]{2,25}?)\s*\)\s*(?P<s2>--|[-–—:])?"  # (Reuters) -
    rf"|(?P<a3>{_BARE_AGENCIES})\s*(?P<s3>--|[-–—])"  # Kyodo -
    r")"
)
_CITY_ONLY = re.compile(rf"^{_PLACE}$")


def parse_dateline(paragraph: str | None, *, agency: str | None = None,
                   has_more: bool = True) -> Dateline | None:
    """The dateline opening ``paragraph``, or None when it does not open with one."""
    if not paragraph:
        return None
    head = paragraph[:200]
    match = _DATELINE.match(head)
    if match:
        place = match.group("place").strip(" .")
        date = (match.group("date") or "").strip(" .,") or None
        found = match.group("a1") or match.group("a2") or match.group("a3")
        bare_parens = match.group("a2") and not (date or match.group("s2"))
        if _is_place(place) and not bare_parens and (date is None or re.search(r"\d", date)):
            return Dateline(text=match.group(0).strip(), place=place, date=date,
                            agency=found.strip() if found else agency)
    city = paragraph.strip()
    if has_more and len(city) <= 40 and _CITY_ONLY.match(city) and _is_place(city.strip(" .")):
        return Dateline(text=city, place=city.strip(" ."), date=None, agency=agency)
    return None


def _is_place(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and text == text.upper()
