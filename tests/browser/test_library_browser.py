"""The content library in a real browser: browse, search and filter, open an asset,
download it, get a co-branded copy; no serious accessibility problem; screenshots of
the library and the asset page (desktop and phone) land in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from assets import services
from partners.models import Language
from partners.services.languages import set_languages_in_order
from tests.assets.factories import brand, image_bytes, make_asset, pdf_bytes
from tests.assets.test_uploads import plain_zip
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible, log_in


def images_loaded(page) -> None:
    """Scroll the lazy thumbnails into view and wait until each has loaded."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function(
        "[...document.images].every(image => image.complete && image.naturalWidth > 0)"
    )
    page.evaluate("window.scrollTo(0, 0)")


pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def branded_alice(alice):
    return brand(alice)


@pytest.fixture
def library(branded_alice):
    alice = branded_alice
    languages = {
        code: Language.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in (("en", "English"), ("de", "German"))
    }
    # English first: the partner's first shipped language is what its people read.
    set_languages_in_order(alice.partner.languages, [languages["en"], languages["de"]])
    with transaction.atomic():
        assets = [
            make_asset(
                title="Secure Edge Platform datasheet",
                kind="datasheet",
                description="Features, deployment options and specifications on two pages.",
                language=languages["en"],
                files=(
                    ("en.pdf", pdf_bytes("Secure Edge")),
                    ("de.pdf", pdf_bytes("Secure Edge DE")),
                ),
                languages=(languages["en"], languages["de"]),
                tags=("security", "edge"),
                cobrandable=True,
                featured=True,
            ),
            make_asset(
                title="LinkedIn post: ransomware readiness",
                kind="social_post",
                description="A 1200 × 627 image for LinkedIn.",
                files=(("post.png", image_bytes(size=(1200, 627), color=(58, 69, 194))),),
                cobrandable=True,
                cobrand_zone="bottom_right",
            ),
            make_asset(
                title="Case study: City of Lakeside",
                kind="case_study",
                description="How a city recovered from ransomware in hours.",
                tags=("ransomware",),
            ),
            make_asset(
                title="Webinar email template",
                kind="email_template",
                files=(
                    (
                        "t.zip",
                        plain_zip({"a.png": image_bytes()}),
                    ),
                ),
            ),
        ]
    for asset in assets:
        for version in asset.versions.all():
            services.version_make_preview(version_id=version.pk)
    return assets


def test_browse_search_open_and_cobrand(live_server, branded_alice, library, new_page, screenshot):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, branded_alice.marketer.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    nav = page.get_by_role("navigation", name="Portal sections")
    nav.get_by_role("link", name=re.compile("Library")).click()
    page.wait_for_url(f"{live_server.url}/portal/library/")
    assert page.get_by_role("heading", level=1).inner_text() == "Content library"
    expect(page.get_by_text("4 assets")).to_be_visible()
    page.locator(".asset-thumb img").first.wait_for()
    images_loaded(page)
    screenshot(page, "library-desktop")
    assert_accessible(page, "library")

    page.get_by_label("Search", exact=True).fill("ransomware")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=ransomware"))
    expect(page.get_by_text("2 assets")).to_be_visible()  # the case study and the post
    assert page.get_by_label("Sort by").input_value() == ""  # best match
    screenshot(page, "library-search-desktop")
    page.get_by_label("Kind").select_option("datasheet")
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Secure Edge Platform datasheet").click()

    page.wait_for_url(re.compile(r"/portal/library/[0-9a-f-]+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Secure Edge Platform datasheet"
    downloads = page.get_by_role("region", name="Download")
    expect(downloads.get_by_text("Your language")).to_be_visible()
    expect(downloads.get_by_text("German", exact=True)).to_be_visible()  # her language first
    with page.expect_download() as download_info:
        downloads.get_by_role("link", name=re.compile("^Download Secure Edge.*German")).click()
    assert download_info.value.suggested_filename == "secure-edge-platform-datasheet-de-v1.pdf"

    downloads.get_by_role("button", name="Get a copy with your logo").first.click()
    page.wait_for_url(re.compile(r"#downloads$"))
    ready = page.get_by_role("link", name="Download with your logo").first
    ready.wait_for()
    images_loaded(page)
    screenshot(page, "asset-page-desktop")
    assert_accessible(page, "asset page")
    with page.expect_download() as cobranded:
        ready.click()
    assert cobranded.value.suggested_filename.endswith("-alice.pdf")


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_screenshots_of_the_library(
    live_server, branded_alice, library, new_page, screenshot, viewport_name
):
    page = new_page(DESKTOP if viewport_name == "desktop" else MOBILE)
    log_in(page, live_server.url, branded_alice.admin.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/library/?sort=title")
    page.locator(".asset-thumb img").first.wait_for()
    images_loaded(page)
    screenshot(page, f"library-sorted-{viewport_name}")
    page.goto(f"{live_server.url}/portal/library/{library[1].uuid}/")
    page.locator(".asset-preview img").wait_for()
    screenshot(page, f"asset-image-{viewport_name}")
    assert_accessible(page, "image asset page")
    page.goto(f"{live_server.url}/portal/library/?q=nothing-matches-this")
    expect(page.get_by_role("heading", name="Nothing matches")).to_be_visible()
    screenshot(page, f"library-empty-{viewport_name}")
