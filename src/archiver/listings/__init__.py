"""Listings: feeds, news sitemaps and section pages -> Links, behind the XML entity gate."""

from __future__ import annotations

from archiver.listings.dispatch import parse_listing
from archiver.listings.feeds import parse_feed
from archiver.listings.pages import parse_page
from archiver.listings.sitemaps import parse_sitemap

__all__ = ["parse_feed", "parse_listing", "parse_page", "parse_sitemap"]
