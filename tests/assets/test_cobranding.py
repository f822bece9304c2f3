"""Co-branding output read back: the PDF holds the partner's name, contact text and
logo on every page; an image changes in its zone only; logos of any shape fit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from PIL import Image, ImageChops
from pypdf import PdfReader

from assets import cobranding, services
from assets.models import CobrandedCopy
from tests.assets.factories import image_bytes, make_asset, pdf_bytes

pytestmark = pytest.mark.django_db


def make_copy(partner, asset) -> CobrandedCopy:
    version = asset.versions.get()
    copy = services.cobranded_copy_request(version=version, partner=partner, user=None)
    assert services.cobranded_copy_make(copy_id=copy.pk) == "ready"
    with scopes_disabled():
        copy.refresh_from_db()
    assert copy.state == CobrandedCopy.State.READY
    return copy


def test_pdf_copy_has_name_contact_and_logo_on_every_page(branded_alice):
    asset = make_asset(cobrandable=True, files=(("d.pdf", pdf_bytes("Secure Edge", pages=3)),))
    copy = make_copy(branded_alice.partner, asset)

    with copy.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == 3
    for page in reader.pages:
        text = page.extract_text()
        assert "Alice Networks" in text
        assert "+44 20 7946 0000" in text and "sales@alice.example" in text
        assert "alice.example" in text and "London" in text
        assert "Secure Edge" in text  # the original content is still there
        assert len(page.images) >= 1  # the logo
    assert copy.size == copy.file.size


def test_rotated_and_odd_sized_pages_are_branded(branded_alice):
    asset = make_asset(
        cobrandable=True,
        cobrand_zone="top_right",
        files=(("r.pdf", pdf_bytes("Wide", pages=1, size=(842.0, 300.0), rotate=90)),),
    )
    copy = make_copy(branded_alice.partner, asset)
    with copy.file.open("rb") as handle:
        page = PdfReader(io.BytesIO(handle.read())).pages[0]
    assert "Alice Networks" in page.extract_text()


def test_image_copy_differs_in_the_zone_only(branded_alice):
    original = image_bytes("PNG", size=(1200, 800), color=(40, 120, 200))
    asset = make_asset(
        cobrandable=True,
        cobrand_zone="bottom_right",
        cobrand_zone_size=20,
        files=(("social.png", original),),
    )
    copy = make_copy(branded_alice.partner, asset)
    with copy.file.open("rb") as handle:
        result = Image.open(io.BytesIO(handle.read()))
        result.load()
    source = Image.open(io.BytesIO(original)).convert("RGB")
    assert result.format == "PNG" and result.size == source.size
    left, top, right, bottom = (
        round(v) for v in cobranding.zone_rect(1200, 800, "bottom_right", 20)
    )
    diff = ImageChops.difference(source, result.convert("RGB"))
    assert diff.crop((left, top, right, bottom)).getbbox() is not None  # the zone changed
    outside = diff.copy()
    outside.paste((0, 0, 0), (left, top, right, bottom))
    assert outside.getbbox() is None  # nothing else did
    # The logo's red is in the zone.
    zone = result.convert("RGB").crop((left, top, right, bottom))
    assert any(r > 200 and g < 80 and b < 80 for r, g, b in zone.get_flattened_data())


def test_jpeg_stays_jpeg(branded_alice):
    asset = make_asset(cobrandable=True, files=(("p.jpg", image_bytes("JPEG", size=(640, 480))),))
    copy = make_copy(branded_alice.partner, asset)
    assert copy.file.name.endswith(".jpg")
    with copy.file.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"


@pytest.mark.parametrize(
    "logo_size", [(600, 60), (60, 600), (200, 200), (1, 1)], ids=["wide", "tall", "square", "dot"]
)
def test_logo_fits_the_zone_keeping_its_shape(tmp_path: Path, logo_size):
    logo = tmp_path / "logo.png"
    Image.new("RGBA", logo_size, (10, 200, 10, 128)).save(logo)  # half transparent
    rect = cobranding.zone_rect(1000, 600, "footer", 15)
    lines = [["Wide Logo Ltd", "+1 555 0100  ·  hello@wide.example"]]
    spec = cobranding.layout(
        rect,
        logo_size,
        lines,
        lambda text, bold, size: len(text) * size * 0.55,
        min_font=9,
        max_font=24,
    )
    x, y, w, h = spec.logo_box
    left, top, right, bottom = rect
    assert left <= x and x + w <= right and top <= y and y + h <= bottom
    assert w / h == pytest.approx(logo_size[0] / logo_size[1], rel=0.01)
    assert spec.text_left >= x + w  # text never overlaps the logo
    assert spec.lines == tuple(lines[0])
    widest = max(
        len(line) * size * 0.55 for line, size in zip(spec.lines, spec.font_sizes, strict=False)
    )
    assert widest <= spec.text_width + 0.01  # shrunk to fit, not cut
    source = tmp_path / "in.png"
    Image.new("RGB", (1000, 600), "white").save(source)
    profile = cobranding.BrandProfile("Wide Logo Ltd", ("+1 555", "a@b.example"), logo)
    cobranding.cobrand_image(source, tmp_path / "out.png", profile, "footer", 15, out_format="png")
    assert Image.open(tmp_path / "out.png").size == (1000, 600)


def test_long_text_is_cut_to_the_zone():
    measure = len  # one unit per character
    assert cobranding._shorten("abcdefghij", 5, measure) == "abcd…"
    assert cobranding._shorten("abc", 5, measure) == "abc"


def test_copies_are_cached_per_version_and_revision(
    branded_alice, django_capture_on_commit_callbacks
):
    asset = make_asset(cobrandable=True, files=(("i.png", image_bytes()),))
    version = asset.versions.get()
    partner = branded_alice.partner
    with django_capture_on_commit_callbacks(execute=True):
        first = services.cobranded_copy_request(version=version, partner=partner, user=None)
    again = services.cobranded_copy_request(version=version, partner=partner, user=None)
    assert again.pk == first.pk
    assert services.cobranded_copy_make(copy_id=first.pk) == "skipped"  # safe to run twice
    with scopes_disabled():
        assert CobrandedCopy.objects.count() == 1


def test_task_for_an_outdated_profile_does_not_brand_with_it(branded_alice):
    from partners.services import partner_update_cobranding

    asset = make_asset(cobrandable=True, files=(("i.png", image_bytes()),))
    copy = services.cobranded_copy_request(
        version=asset.versions.get(), partner=branded_alice.partner, user=None
    )
    partner_update_cobranding(partner=branded_alice.partner, actor=None, display_name="Renamed")
    assert services.cobranded_copy_make(copy_id=copy.pk) == "stale"
    with scopes_disabled():
        copy.refresh_from_db()
    assert copy.state == CobrandedCopy.State.FAILED


def test_not_cobrandable_files_are_refused(branded_alice):
    from django.core.exceptions import ValidationError

    plain = make_asset(cobrandable=False)
    with pytest.raises(ValidationError):
        services.cobranded_copy_request(
            version=plain.versions.get(), partner=branded_alice.partner, user=None
        )
    gif = make_asset(cobrandable=True, files=(("a.gif", image_bytes("GIF")),))
    with pytest.raises(ValidationError):
        services.cobranded_copy_request(
            version=gif.versions.get(), partner=branded_alice.partner, user=None
        )


def test_damaged_pdf_fails_cleanly(branded_alice):
    from tests.assets.test_previews import damage

    asset = make_asset(cobrandable=True, files=(("d.pdf", pdf_bytes("x")),))
    damage(asset.versions.get().file)  # after upload: uploads must open
    copy = services.cobranded_copy_request(
        version=asset.versions.get(), partner=branded_alice.partner, user=None
    )
    assert services.cobranded_copy_make(copy_id=copy.pk) == "failed"
    with scopes_disabled():
        copy.refresh_from_db()
    assert copy.state == CobrandedCopy.State.FAILED and copy.error


def test_staff_preview_with_a_sample_partner():
    asset = make_asset(cobrandable=True, publish=False)
    image = services.cobrand_sample_preview(asset=asset)
    assert image.width > 100 and image.height > 100
    bottom = image.crop((0, int(image.height * 0.9), image.width, image.height))
    assert any(
        r > 200 and 60 < g < 130 and b < 40 for r, g, b in bottom.get_flattened_data()
    )  # sample logo


def test_purge_keeps_current_copies(branded_alice, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from partners.services import partner_update_cobranding

    asset = make_asset(cobrandable=True, files=(("i.png", image_bytes()),))
    old = make_copy(branded_alice.partner, asset)
    partner_update_cobranding(partner=branded_alice.partner, actor=None, display_name="New name")
    branded_alice.partner.refresh_from_db()
    current = make_copy(branded_alice.partner, asset)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    assert services.cobranded_copies_purge(older_than=timedelta(days=7)) == 1
    with scopes_disabled():
        assert list(CobrandedCopy.objects.values_list("pk", flat=True)) == [current.pk]
    assert not old.file.storage.exists(old.file.name)
