"""MDF fixtures: a pool, alice's allocation, activity types with their proof, and
helpers that walk a request or claim through its life (travelling in time where
the rules need the activity to be in the future, then in the past)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from mdf import services
from mdf.models import ActivityType, FundPool, ProofKind

D = Decimal


def fresh(obj):
    """The object as the database has it now (across partners, visibly)."""
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def statements(queries) -> list[str]:
    """The statements captured queries ran, by their text."""
    return [query["sql"] for query in queries]


def pdf_bytes(text: str = "Invoice 42") -> bytes:
    # A minimal valid one-page PDF (the validator reads the type from content).
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n" + f"% {text}\n".encode()
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def proof_kinds(db) -> dict[str, ProofKind]:
    return {
        slug: ProofKind.objects.create(slug=slug, name=name)
        for slug, name in (
            ("invoice", "Invoice"),
            ("attendees", "Attendee list"),
            ("photo", "Photo"),
        )
    }


@pytest.fixture
def event_type(proof_kinds) -> ActivityType:
    activity = ActivityType.objects.create(slug="event", name="Event")
    activity.proof_kinds.set(proof_kinds.values())
    return activity


@pytest.fixture
def ads_type(proof_kinds) -> ActivityType:
    activity = ActivityType.objects.create(slug="ads", name="Digital ads")
    activity.proof_kinds.set([proof_kinds["invoice"]])
    return activity


def make_pool(
    name="FY27 H1", total="100000.00", percentage="100.00", threshold="5000.00", **extra
) -> FundPool:
    today = timezone.localdate()
    return FundPool.objects.create(
        name=name,
        currency=extra.pop("currency", "EUR"),
        total=D(total),
        period_start=today - timedelta(days=30),
        period_end=today + timedelta(days=150),
        request_deadline=extra.pop("request_deadline", today + timedelta(days=90)),
        claim_deadline=extra.pop("claim_deadline", today + timedelta(days=180)),
        reimbursement_percentage=D(percentage),
        finance_threshold=D(threshold),
        **extra,
    )


def thirds_allocation(alice, staff_users):
    """alice's allocation in a pool that reimburses 33.33 %: shares that round."""
    return services.allocation_create(
        pool=make_pool(name="Thirds", percentage="33.33"),
        partner=alice.partner,
        amount="5000",
        actor=staff_users["marketing_admin"],
        reason="x",
    )


@pytest.fixture
def pool(db) -> FundPool:
    return make_pool()


@pytest.fixture
def allocation(pool, alice, staff_users):
    return services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="10000.00",
        actor=staff_users["marketing_admin"],
        reason="H1 plan",
    )


def draft_request(
    alice, allocation, activity_type, amount="1000.00", starts_in=10, lasts=1, actor=None
):
    start = timezone.localdate() + timedelta(days=starts_in)
    return services.request_create(
        partner=alice.partner,
        allocation=allocation,
        activity_type=activity_type,
        title="Partner summit booth",
        description="Booth and lead capture at the summit",
        activity_start=start,
        activity_end=start + timedelta(days=lasts),
        requested_amount=amount,
        expected_leads=40,
        actor=actor or alice.marketer,
    )


def approved_request(
    alice, allocation, activity_type, staff_users, amount="1000.00", approved=None
):
    fund_request = draft_request(alice, allocation, activity_type, amount)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    return services.request_decide(
        fund_request=fund_request,
        actor=staff_users["channel_manager"],
        approve=True,
        approved_amount=approved,
        note="Good plan",
    )


def after_activity(fund_request, days=1):
    """Travel to just after the request's activity ended (time is frozen there)."""
    moment = timezone.make_aware(
        timezone.datetime.combine(
            fund_request.activity_end + timedelta(days=days),
            timezone.datetime.min.time().replace(hour=12),
        )
    )
    return time_machine.travel(moment, tick=False)


def full_proof(claim, proof_kinds, actor):
    files = {
        "invoice": upload("invoice.pdf", pdf_bytes()),
        "attendees": upload("attendees.csv", b"name,email\nAda,ada@example.com\n", "text/csv"),
        "photo": upload("booth.png", png_bytes(), "image/png"),
    }
    for kind in services.required_proof(claim):
        services.claim_attach_proof(
            claim=claim, proof_kind=kind, upload=files[kind.slug], actor=actor
        )


def submitted_claim(alice, fund_request, proof_kinds, amount="1000.00"):
    claim = services.claim_create(
        fund_request=fund_request, amount=amount, actor=alice.marketer, actual_leads=35
    )
    full_proof(claim, proof_kinds, alice.marketer)
    return services.claim_submit(claim=claim, actor=alice.marketer)


__all__ = ["D", "date"]
