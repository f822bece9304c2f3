"""Proof of performance: the files a claim needs by its activity type, added and
removed while the claim can change, each through the one upload validator; and the
sweep of stored files that no row names (left by rolled-back uploads)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from assets.validation import PROOF_KINDS, validate_upload
from mdf import clock
from mdf.models import Claim, ClaimProof, ProofKind
from mdf.services.locking import lock_claim
from mdf.services.trail import record_event

# The field a proof kind's files are sent in, in forms and the API ("proof_invoice"),
# and the key its errors come under.
PROOF_FIELD_PREFIX = "proof_"


def required_proof(claim: Claim) -> list[ProofKind]:
    return list(claim.request.activity_type.proof_kinds.all())


def missing_proof(claim: Claim) -> list[ProofKind]:
    with scopes_disabled():
        present = set(claim.proofs.values_list("proof_kind_id", flat=True))
    return [kind for kind in required_proof(claim) if kind.pk not in present]


def claim_attach_proof(
    *, claim: Claim, proof_kind: ProofKind, upload: UploadedFile, actor: User
) -> ClaimProof:
    """Attach one proof file to a draft or returned claim, through the upload validator.

    The claim row is locked while the proof is recorded, so a file cannot slip in
    while the claim is being submitted.
    """
    checked = validate_upload(
        upload,
        field="file",
        allowed=PROOF_KINDS,
        max_bytes=settings.PROOF_MAX_BYTES,
        max_pixels=settings.PROOF_MAX_PIXELS,
    )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    proof = ClaimProof(
        partner_id=claim.partner_id,
        claim=claim,
        proof_kind=proof_kind,
        original_name=checked.display_name,
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    with transaction.atomic():
        locked = lock_claim(claim.pk)
        if locked.status not in Claim.CHANGEABLE:
            raise ValidationError(
                {"file": _("Proof can only be added to a draft or returned claim.")}
            )
        proof.file.save(checked.safe_name, upload, save=False)
        storage, name = proof.file.storage, proof.file.name or ""
        try:
            with scopes_disabled():
                proof.save()
        except Exception:
            storage.delete(name)
            raise
    return proof


def claim_attach_proofs(
    *, claim: Claim, proofs: Sequence[tuple[ProofKind, UploadedFile]], actor: User
) -> list[ClaimProof]:
    """Attach several proof files at once (`claim_attach_proof` for each): all or nothing.

    Refused files are reported together, each under its proof kind's field
    (`proof_<slug>`). When one is refused none is kept, and the files already stored
    are deleted: storage does not roll back with the transaction.
    """
    stored: list[ClaimProof] = []
    try:
        with transaction.atomic():
            errors: dict[str, list[str]] = {}
            for kind, upload in proofs:
                try:
                    stored.append(
                        claim_attach_proof(claim=claim, proof_kind=kind, upload=upload, actor=actor)
                    )
                except ValidationError as exc:
                    errors.setdefault(PROOF_FIELD_PREFIX + kind.slug, []).extend(exc.messages)
            if errors:
                raise ValidationError(errors)
    except BaseException:
        for proof in stored:
            proof.file.delete(save=False)
        raise
    return stored


def claim_remove_proof(*, proof: ClaimProof, actor: User) -> Claim:
    """Remove one proof file (a wrong upload) from a draft or returned claim.

    Rules: only while the claim can still change (draft, or returned for more proof);
    the claim row is locked, as when proof is attached, so a file cannot vanish while
    the claim is being submitted. The row is deleted in the transaction and the
    stored file only once it commits (a rollback keeps both). Recorded on the claim
    ("proof_removed", naming the kind and file).
    """
    with transaction.atomic():
        locked = lock_claim(proof.claim_id)
        if locked.status not in Claim.CHANGEABLE:
            raise ValidationError(
                {"status": _("Proof can only be removed from a draft or returned claim.")}
            )
        with scopes_disabled():
            row = (
                ClaimProof.objects.select_related("proof_kind")
                .filter(pk=proof.pk, claim=locked)
                .first()
            )
            if row is None:
                raise ValidationError({"proof": _("This file has already been removed.")})
            storage, name = row.file.storage, row.file.name or ""
            row.delete()
        record_event(
            partner_id=locked.partner_id,
            actor=actor,
            action="proof_removed",
            claim=locked,
            old_status=locked.status,
            new_status=locked.status,
            note=f"{row.proof_kind.name}: {row.original_name}",
        )
        if name:
            # robust: the removal is committed whatever the storage says; a file left
            # behind is logged, not turned into an error for the caller.
            transaction.on_commit(lambda: storage.delete(name), robust=True)
    return locked


PROOF_ROOT = "mdf/proof"


def proof_files_sweep(*, older_than: timedelta = timedelta(days=1)) -> list[str]:
    """Delete stored proof files that no ClaimProof row names, once they are old enough.

    A proof file is written to storage before the transaction that records it commits;
    when that transaction rolls back (a refused upload, a crash), the file stays behind
    with no row. Files younger than `older_than` are left alone: their transaction may
    still be running. Returns the names deleted.
    """
    storage = ClaimProof._meta.get_field("file").storage
    cutoff = timezone.now() - older_than
    with scopes_disabled():
        referenced = set(ClaimProof.objects.values_list("file", flat=True))
    deleted = []
    for name in _stored_files(storage, PROOF_ROOT):
        if name in referenced or storage.get_modified_time(name) > cutoff:
            continue
        storage.delete(name)
        deleted.append(name)
    return deleted


def _stored_files(storage, folder: str) -> Iterable[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file_name in files:
        yield f"{folder}/{file_name}"
    for child in folders:
        yield from _stored_files(storage, f"{folder}/{child}")
