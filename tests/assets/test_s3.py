"""The S3 path against moto's S3 server on loopback: files are written to the bucket,
downloads redirect to presigned URLs that carry our headers and expire, previews and
co-branded copies work from object storage."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from assets import services
from assets.models import DownloadRecord
from tests.assets.factories import image_bytes, make_asset, pdf_bytes
from tests.conftest import key_client, skip_or_fail

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
BUCKET = "partnerhub-test-assets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists() and not shutil.which("moto_server"):
        skip_or_fail("moto_server is missing (pip install 'moto[server]')")
    port = free_port()
    process = subprocess.Popen(
        [str(binary if binary.exists() else "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(endpoint, timeout=2)
                break
            # Not up yet: refused, or (a loaded machine) accepted but not answered in time.
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or process.poll() is not None:
                    skip_or_fail("moto_server did not start")
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3(settings, moto_endpoint):
    import boto3

    options = {
        "bucket_name": BUCKET,
        "endpoint_url": moto_endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client


def test_upload_goes_to_the_bucket_and_download_redirects_to_a_presigned_url(s3, alice):
    content = pdf_bytes("S3 Datasheet")
    asset = make_asset(title="S3 Datasheet", files=(("s3.pdf", content),))
    version = asset.versions.get()
    stored = s3.get_object(Bucket=BUCKET, Key=version.file.name)
    assert stored["Body"].read() == content

    client = Client()
    client.force_login(alice.sales)
    response = client.get(reverse("library:download", args=[asset.uuid, version.uuid]))

    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(s3.meta.endpoint_url) and "X-Amz-Signature=" in url
    assert "X-Amz-Expires=300" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == content
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="s3-datasheet-v1.pdf"'
    with scopes_disabled():
        assert DownloadRecord.objects.filter(partner=alice.partner).count() == 1
    # Without the signature the bucket refuses: nothing is public.
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403


def test_presigned_urls_are_short_lived(s3, alice_key, settings):
    """The API's link is a SigV4 presigned URL valid for ASSET_DOWNLOAD_URL_TTL seconds
    from now. moto's server does not enforce X-Amz-Expires (real S3 and MinIO answer
    403 "Request has expired"), so the test reads the signed expiry from the URL."""
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qs, urlsplit

    settings.ASSET_DOWNLOAD_URL_TTL = 60
    asset = make_asset(title="Short lived")
    response = key_client(alice_key).post(
        reverse("api:asset-download", args=[asset.uuid]), {}, format="json"
    )
    body = response.json()
    query = parse_qs(urlsplit(body["url"]).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["60"]
    assert "x-amz-date" not in query["X-Amz-SignedHeaders"][0]  # the expiry is in the query
    assert abs(datetime.now(UTC) - signed_at) < timedelta(seconds=30)
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires_at - (signed_at + timedelta(seconds=60))) < timedelta(seconds=30)
    assert requests.get(body["url"], timeout=10).status_code == 200  # valid while fresh


def test_previews_and_cobranding_from_object_storage(s3, branded_alice):
    image = image_bytes("PNG", size=(900, 600))
    asset = make_asset(cobrandable=True, files=(("social.png", image),))
    version = asset.versions.get()
    assert services.version_make_preview(version_id=version.pk) == "ready"
    version.refresh_from_db()
    assert s3.head_object(Bucket=BUCKET, Key=version.preview.name)["ContentLength"] > 0

    copy = services.cobranded_copy_request(
        version=version, partner=branded_alice.partner, user=None
    )
    assert services.cobranded_copy_make(copy_id=copy.pk) == "ready"
    with scopes_disabled():
        copy.refresh_from_db()
    assert s3.head_object(Bucket=BUCKET, Key=copy.file.name)["ContentLength"] > 0

    client = Client()
    client.force_login(branded_alice.marketer)
    response = client.get(reverse("library:cobrand_download", args=[asset.uuid, version.uuid]))
    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")
