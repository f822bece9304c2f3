"""How stored files reach a reader, whatever the storage.

- Local storage: `FileResponse` over the open file. Under gunicorn the WSGI
  `file_wrapper` sends it with `sendfile`, so it never passes through Python
  buffers and memory stays flat whatever the size.
- Object storage (S3): a redirect to a presigned URL that expires after
  `ASSET_DOWNLOAD_URL_TTL` seconds and makes the storage answer with our
  Content-Disposition and Content-Type.
- For an API client, a short-lived URL either way: presigned (S3), or a signed
  token for `library:file` (local storage), checked for age and tampering.

Every response says `X-Content-Type-Options: nosniff`, has the detected content
type, and is `attachment` unless it is a preview (`inline`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from assets.validation import display_name

SIGNING_SALT = "assets.delivery.file"
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """A stored file and how it goes out."""

    name: str  # the storage name
    filename: str  # what the reader saves it as
    content_type: str
    inline: bool = False


def is_local(storage: Any) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True


@contextmanager
def local_copy(field_file: FieldFile, suffix: str = "") -> Iterator[Path]:
    """A path on local disk for a stored file: its own path on local storage, else a
    temporary copy made in chunks (object storage), removed afterwards."""
    if is_local(field_file.storage):
        yield Path(field_file.storage.path(field_file.name))
        return
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with field_file.storage.open(field_file.name, "rb") as source:
            shutil.copyfileobj(source, tmp, COPY_CHUNK)
        tmp.flush()
        yield Path(tmp.name)


def _headers(response: HttpResponse, delivery: Delivery) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = (
        "private, no-store" if not delivery.inline else "private, max-age=300"
    )
    # A file opened inline (previews) must not run anything even if it were markup.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _presigned(storage: Any, delivery: Delivery, ttl: int) -> str:
    return storage.url(
        delivery.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(
                not delivery.inline, display_name(delivery.filename)
            ),
            "ResponseContentType": delivery.content_type,
        },
        expire=ttl,
    )


def respond(storage: Any, delivery: Delivery) -> HttpResponse:
    """Stream the file (local storage) or redirect to a presigned URL (object storage)."""
    if not is_local(storage):
        url = _presigned(storage, delivery, settings.ASSET_DOWNLOAD_URL_TTL)
        return _headers(HttpResponseRedirect(url), delivery)
    try:
        handle = storage.open(delivery.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not delivery.inline,
        filename=display_name(delivery.filename),
        content_type=delivery.content_type,
    )
    return _headers(response, delivery)


def short_lived_url(storage: Any, delivery: Delivery, request: Any = None) -> tuple[str, datetime]:
    """A URL that serves the file without further authentication until it expires."""
    ttl = settings.ASSET_DOWNLOAD_URL_TTL
    expires_at = timezone.now() + timedelta(seconds=ttl)
    if not is_local(storage):
        return _presigned(storage, delivery, ttl), expires_at
    token = signing.dumps(
        [delivery.name, delivery.filename, delivery.content_type, delivery.inline],
        salt=SIGNING_SALT,
        compress=True,
    )
    path = reverse("library:file", kwargs={"token": token})
    return (request.build_absolute_uri(path) if request else path), expires_at


def from_token(token: str) -> Delivery:
    """The delivery a signed token names; Http404 when forged, damaged or expired."""
    try:
        name, filename, content_type, inline = signing.loads(
            token, salt=SIGNING_SALT, max_age=settings.ASSET_DOWNLOAD_URL_TTL
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    return Delivery(name=name, filename=filename, content_type=content_type, inline=bool(inline))
