"""Canonical URLs: one spelling per story link (tracking, AMP, ports, fragments folded)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import idna
from tld import get_fld
from w3lib.url import canonicalize_url

#: Query parameters that only track the reader; compared lower-cased.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
        "yclid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "taid", "spm",
        "igshid", "smid", "guccounter", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "__twitter_impression", "twclid", "ttclid", "s_cid",
    }
)  # fmt: skip
#: Prefixes of tracking parameters (utm_source, at_medium, pk_campaign, mtm_kwd, hsa_grp...).
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_QUERY = {("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp")}
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
# second-level labels under which a country TLD sells names (co.uk, com.tr, co.kr, ne.jp...)
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"})


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    """The one URL a story is kept under.

    Rules, in order: scheme and host lower-cased, host IDNA-encoded (punycode), user info,
    default ports (80/443), trailing host dot and fragment dropped; an empty path becomes
    ``/``; AMP variants folded (Google AMP cache URLs unwrapped, an ``amp.`` subdomain, an
    ``amp`` path segment anywhere, ``.amp.html`` -> ``.html``, ``?amp``/``?amp=1``/
    ``?outputType=amp``); tracking parameters dropped (``TRACKING_PARAMS``,
    ``TRACKING_PREFIXES``); the rest of the query sorted and percent-encoding normalised
    (w3lib ``canonicalize_url``).

    ``page_canonical`` (the page's ``<link rel=canonical>``, relative or absolute) wins when
    it is an http(s) URL on the same registrable domain (``registrable_domain``: www./amp./
    other subdomains and co.uk-style suffixes handled offline) and does not point at the
    site's home page while ``url`` does not (a common CMS bug). Otherwise it is ignored.

    Never raises: input that is not an absolute http(s) URL comes back stripped.
    """
    text = url.strip() if isinstance(url, str) else ""
    base = canonical_link(text)
    if base is None:
        return text
    if page_canonical and isinstance(page_canonical, str):
        try:
            candidate = canonical_link(urljoin(text, page_canonical.strip()))
        except ValueError:
            candidate = None
        if (
            candidate is not None
            and _same_site(base, candidate)
            and (urlsplit(candidate).path != "/" or urlsplit(base).path == "/")
        ):
            return candidate
    return base


def registrable_domain(host: str) -> str:
    """The domain a site owner registered (``news.bbc.co.uk`` -> ``bbc.co.uk``).

    Uses the public-suffix list bundled with the ``tld`` package (no download); IP
    addresses and single-label hosts are their own domain; unknown suffixes fall back to the
    last two labels (three under co./com./ne.-style second levels of a two-letter TLD).
    """
    host = host.strip().lower().rstrip(".")
    return _registrable(host)


@lru_cache(maxsize=4096)
def _registrable(host: str) -> str:
    if not host or "." not in host or _is_ip(host):
        return host
    try:
        found = get_fld(host, fix_protocol=True, fail_silently=True)
    except Exception:  # tld raises its own types on odd input
        found = None
    if found:
        return str(found)
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _same_site(a: str, b: str) -> bool:
    host_a, host_b = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    return bool(host_a) and _registrable(host_a) == _registrable(host_b)


@lru_cache(maxsize=2048)  # a poll asks for the same link's form several times (~1 ms each)
def canonical_link(text: str) -> str | None:
    """Canonical form of an absolute http(s) URL, or None when ``text`` is not one."""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        parts = _unwrap_amp_cache(parts, scheme)
        scheme = parts.scheme.lower()
        host = _idna(parts.hostname or "")
        if not host:
            return None
        if host.startswith("amp.") and host.count(".") >= 2:
            host = host[4:]
        port = parts.port  # ValueError on a bad port
        netloc = f"[{host}]" if ":" in host else host
        if port is not None and port != _DEFAULT_PORTS[scheme]:
            netloc = f"{netloc}:{port}"
        path = _fold_amp_path(parts.path) or "/"
        query = _clean_query(parts.query)
        rebuilt = urlunsplit((scheme, netloc, path, query, ""))
        return canonicalize_url(rebuilt, keep_fragments=False)
    except Exception:  # garbage of every kind: the caller keeps the stripped input
        return None


def _idna(hostname: str) -> str:
    host = hostname.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host.encode("idna").decode("ascii")


def _unwrap_amp_cache(parts: SplitResult, scheme: str) -> SplitResult:
    """``www-x-com.cdn.ampproject.org/c/s/www.x.com/a`` and ``google.com/amp/s/...``."""
    host = (parts.hostname or "").lower()
    path = parts.path
    inner: str | None = None
    if host.endswith(_AMP_CACHE_SUFFIX):
        match = re.match(r"^/[cvi]/(s/)?(.+)$", path)
        if match:
            inner = ("https://" if match.group(1) else "http://") + match.group(2)
    elif re.match(r"^(www\.)?google\.[a-z.]+$", host) and path.startswith("/amp/"):
        rest = path[len("/amp/") :]
        inner = "https://" + rest[2:] if rest.startswith("s/") else "http://" + rest
    if inner is None:
        return parts
    if parts.query:
        inner = f"{inner}?{parts.query}"
    return urlsplit(inner)


def _fold_amp_path(path: str) -> str:
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    folded = "/".join(kept)
    folded = re.sub(r"\.amp\.html?$", ".html", folded, flags=re.IGNORECASE)
    folded = re.sub(r"\.amp$", "", folded, flags=re.IGNORECASE)
    if path.startswith("/") and not folded.startswith("/"):
        folded = "/" + folded
    return folded


def _is_tracking(key: str) -> bool:
    low = key.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [
        (key, value)
        for key, value in pairs
        if not _is_tracking(key) and (key.lower(), value.lower()) not in _AMP_QUERY
    ]
    return urlencode(kept)
