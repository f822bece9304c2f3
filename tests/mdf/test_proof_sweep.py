"""Proof files whose upload transaction rolled back are swept from storage, once old."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ClaimProof
from mdf.tasks import sweep_orphan_proof_files
from tests.mdf.conftest import after_activity, approved_request, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_files_of_rolled_back_uploads_are_swept_once_old(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(fund_request=fund_request, amount="500", actor=alice.admin)
        kept = services.claim_attach_proof(
            claim=claim,
            proof_kind=proof_kinds["invoice"],
            upload=upload("invoice.pdf", pdf_bytes("kept")),
            actor=alice.admin,
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            lost = services.claim_attach_proof(
                claim=claim,
                proof_kind=proof_kinds["photo"],
                upload=upload("photo.pdf", pdf_bytes("lost")),
                actor=alice.admin,
            )
            raise RuntimeError("the request failed after the upload")
    storage = ClaimProof._meta.get_field("file").storage
    with scopes_disabled():
        assert not ClaimProof.objects.filter(pk=lost.pk).exists()
    assert storage.exists(lost.file.name)  # the row rolled back, the file did not

    assert services.proof_files_sweep() == []  # young: its transaction may be running
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert sweep_orphan_proof_files() == 1

    assert not storage.exists(lost.file.name)
    assert storage.exists(kept.file.name)
    assert storage.open(kept.file.name).read().endswith(b"% kept\n")
