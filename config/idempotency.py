"""Idempotent API writes: `Idempotency-Key` (ARCHITECTURE.md, Money).

A client that may retry a money-moving POST sends `Idempotency-Key: <token>` (1-255
visible ASCII characters, e.g. a UUID). Decorate the view method with `@idempotent`:

- The key is scoped to the caller: the API key (`api_key:<public id>`) or the session
  user (`user:<id>`). Two callers may use the same token without meeting.
- The request's fingerprint is SHA-256 of method, path with query string and the
  parsed body (JSON canonically, with sorted keys; form fields by value; uploaded
  files by name and content, so a client that re-encodes a multipart body with a new
  boundary is still recognised).
- First use: the view runs inside one transaction that starts by inserting the
  record (caller, key, fingerprint) and ends by writing the answer's status code and
  JSON body into it. The change and its recorded answer commit together or not at all.
- Replay (same caller, key and fingerprint): the stored status and body are returned
  with `Idempotent-Replayed: true`; the view does not run, nothing changes.
- Same key, different fingerprint (another body, path or method): 422
  `idempotency_key_reused`; nothing runs.
- Concurrent duplicates: the second INSERT meets the unique constraint (caller, key).
  On PostgreSQL it waits for the first transaction; once that commits it fails, and
  the second request answers with the first one's stored response (SQLite serialises
  writers, with the same outcome). If the first rolls back, the second proceeds.

Which answers are stored (our choice):
- Every answer the view gives once it has started, 2xx and 4xx alike. A refused
  request (400 naming a field, 404, 403 from the view, 409…) is replayed as the same
  refusal: a retried request gets the same answer whatever happened in between, and
  the client fixes its input under a new key. What the refused attempt wrote is
  rolled back (it runs in a savepoint); only its answer is kept.
- Not stored: answers before the view starts (401, 403 from permission classes,
  429, 400 for a malformed key or an unparseable body, 413, 415) and server errors
  (5xx): their transaction is rolled back with the record, so a retry with the same
  key runs afresh.

Retention: records are kept at least `RETENTION` (24 hours); a replay after they are
purged runs the request again. `purge_idempotency_records` deletes older ones
(`partners.tasks.purge_idempotency_records`, daily).

Only the view's own transaction is covered: side effects outside the database that
the view performs before a refusal (e.g. a proof file written to storage) are the
view's to clean up; side effects after commit (`transaction.on_commit`) happen once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.models import IdempotencyRecord, PartnerAPIKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[!-~]+$"  # visible ASCII, no spaces (HTTP trims them anyway)
RETENTION = timedelta(hours=24)

_KEY_RE = re.compile(KEY_PATTERN)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request."


class _KeyTaken(Exception):
    """Another transaction committed this (caller, key) first."""


def caller_of(request: Request) -> str:
    """The scope of a key: the API key, or the session user."""
    if isinstance(request.auth, PartnerAPIKey):
        return f"api_key:{request.auth.public_id}"
    return f"user:{request.user.pk}"


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key, None if absent; a 400 naming the header if malformed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not raw or len(raw) > MAX_KEY_LENGTH or not _KEY_RE.match(raw):
        raise serializers.ValidationError(
            {
                HEADER: [
                    serializers.ErrorDetail(
                        f"Send 1 to {MAX_KEY_LENGTH} visible ASCII characters without "
                        "spaces, e.g. a UUID.",
                        code="invalid",
                    )
                ]
            }
        )
    return raw


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"file:{upload.name}:{upload.size}:{digest.hexdigest()}"


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return _file_digest(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    """SHA-256 of what the request asks: method, path with query, parsed body."""
    data = request.data  # parse errors (400/413/415) surface here, before any record
    if hasattr(data, "lists"):  # a QueryDict: form fields and files, possibly repeated
        body: Any = sorted((key, _canonical(values)) for key, values in data.lists())
    else:
        body = _canonical(data)
    payload = json.dumps(
        [request.method, request.get_full_path(), body],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"This Idempotency-Key was first used for {record.method} {record.path} with "
            "another body; a key names one request. Send this request with a new key."
        )
    return Response(
        record.response_body,
        status=record.status_code,
        headers={REPLAYED_HEADER: "true"},
    )


def _stored_body(response: Response) -> Any:
    if getattr(response, "data", None) is None:
        return None
    return json.loads(JSONRenderer().render(response.data))


def _run_view(view: APIView, handler: Callable[[], Response]) -> Response:
    """Run the view in a savepoint; a refusal rolls back what it wrote and becomes
    the response (DRF's exception handler) so that it can be stored."""
    try:
        with transaction.atomic():
            return handler()
    except (APIException, Http404, DjangoPermissionDenied) as exc:
        return view.handle_exception(exc)


def respond_idempotently(
    view: APIView, request: Request, handler: Callable[[], Response]
) -> Response:
    key = key_of(request)
    if key is None:
        return handler()
    caller = caller_of(request)
    request_hash = fingerprint(request)
    existing = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
    if existing is not None:
        return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        caller=caller,
                        key=key,
                        method=request.method or "",
                        path=request.path,
                        request_hash=request_hash,
                    )
            except IntegrityError:
                # The first request with this key committed while we waited.
                raise _KeyTaken from None
            response = _run_view(view, handler)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # not stored: a retry runs afresh
                return response
            record.status_code = response.status_code
            record.response_body = _stored_body(response)
            record.save(update_fields=["status_code", "response_body"])
            return response
    except _KeyTaken:
        return _replay(IdempotencyRecord.objects.get(caller=caller, key=key), request_hash)


def idempotent(method: Callable[..., Response]) -> Callable[..., Response]:
    """Make a view method (a POST action) answer replays of an Idempotency-Key with the
    first response. Authentication, permissions and throttling have run already."""

    @functools.wraps(method)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        return respond_idempotently(view, request, lambda: method(view, request, *args, **kwargs))

    return wrapper


def purge_idempotency_records(*, older_than: timedelta = RETENTION) -> int:
    """Delete records older than the retention window; returns how many."""
    deleted, _per_model = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


# --- OpenAPI -------------------------------------------------------------------------


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes retries safe: the first answer to this key (2xx or 4xx) is stored with "
        "the change it made, and a repeat with the same key, method, path and body gets "
        "that answer again (header `Idempotent-Replayed: true`) without changing "
        "anything. The same key with a different request answers 422. Keys belong to the "
        "caller (API key or user) and are kept at least 24 hours."
    ),
)


def replayed_header(*status_codes: int) -> OpenApiParameter:
    return OpenApiParameter(
        REPLAYED_HEADER,
        type=OpenApiTypes.STR,
        enum=["true"],
        location=OpenApiParameter.HEADER,
        response=list(status_codes),
        description="Present on a replayed answer to an Idempotency-Key.",
    )


class Error422Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("idempotency_key_reused", "idempotency_key_reused")])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse422Serializer(serializers.Serializer):
    """The Idempotency-Key was already used for a different request."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error422Serializer(many=True)
