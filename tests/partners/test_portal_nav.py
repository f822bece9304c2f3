"""The portal's side navigation marks the section a page belongs to, and only that one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse


def active_links(html: str) -> list[str]:
    nav = html[html.index('aria-label="Portal sections"') :]
    nav = nav[: nav.index("</nav>")]
    link_text = r'class="nav-link active"[^>]*>\s*<svg[^>]*>.*?</svg>\s*([^<]+?)\s*<'
    return re.findall(link_text, nav, re.S)


@pytest.mark.parametrize(
    ("page", "section"),
    [
        ("portal:dashboard", "Dashboard"),
        ("performance:dashboard", "Results"),
        ("library:list", "Library"),
        ("funds:overview", "Funds (MDF)"),
    ],
)
def test_one_section_is_marked_on_each_page(alice, page, section):
    client = Client()
    client.force_login(alice.admin)
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert active_links(response.content.decode()) == [section]
