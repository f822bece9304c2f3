"""Benchmark: downloading a large asset through the real download URL.

A 1 GB asset file is downloaded from gunicorn on loopback through
`/portal/library/<asset>/files/<version>/download/` (login session, access check,
download record and all), by curl into /dev/null; the same file is read by `cat`
into /dev/null in the same run. Reported: the download's throughput as a ratio of
`cat`'s, and how much the serving worker's memory grew (peak RSS during the
downloads minus its RSS before). The file should go out by sendfile (FileResponse
→ wsgi.file_wrapper), never through Python buffers.

    python bench/asset_download.py            # 1 GB, 5 rounds
    python bench/asset_download.py --quick    # 512 MB, 3 rounds (under 2 minutes)

Each round times `cat` and the download back to back; the ratio is the median of the
rounds' ratios (the machine's load drifts between rounds, not within one).

Uses a throwaway SQLite database and media folder (DATABASE_URL is ignored unless
--database-url is given). The last lines are `figure: NAME VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="512 MB, 3 rounds")
    parser.add_argument("--size-mb", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--strace", action="store_true", help="show the worker's syscalls for one download"
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def make_file(path: Path, size: int) -> None:
    """An MP4-looking file (the validator sniffs its type from the first bytes)."""
    block = os.urandom(8 * MB)
    with path.open("wb") as out:
        out.write(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
        written = 24
        while written < size:
            chunk = block[: min(len(block), size - written)]
            out.write(chunk)
            written += len(chunk)


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def fetch(port: int, path: str, cookie: str, *, discard: bool = True) -> tuple[float, int]:
    """GET over a raw socket (curl's 16 KB reads would be the bottleneck, not the
    server). With `discard` the body is dropped in the kernel (recv with MSG_TRUNC, as
    `cat` drops it in /dev/null) instead of being copied into an 8 MB buffer.
    Returns (seconds, body bytes); fails unless the answer is 200."""
    buffer = memoryview(bytearray(8 * MB))
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * MB)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit(f"connection closed before the headers: {head!r}")
            head += chunk
        first_byte = time.perf_counter() - started
        header, _sep, body = head.partition(b"\r\n\r\n")
        status = header.split(b" ", 2)[1]
        if status != b"200":
            raise SystemExit(f"download answered {header.decode(errors='replace')}")
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received = len(body)
        flags = socket.MSG_TRUNC if discard else 0
        while received < length:
            count = sock.recv_into(buffer, len(buffer), flags)
            if not count:
                break
            received += count
    FIRST_BYTES.append(first_byte)
    return time.perf_counter() - started, received


FIRST_BYTES: list[float] = []


def main() -> None:
    args = parse_args()
    size = (args.size_mb or (512 if args.quick else 1024)) * MB
    rounds = args.rounds or (3 if args.quick else 5)
    work = Path(tempfile.mkdtemp(prefix="asset-download-bench-"))
    env = {
        **os.environ,
        "VAR_DIR": str(work / "var"),
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ASSET_MAX_BYTES": str(size + MB),
        "LOG_LEVEL": "WARNING",
        "AWS_STORAGE_BUCKET_NAME": "",
    }
    os.environ.update(env)
    python = sys.executable
    server = None
    try:
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        from django.core.files import File
        from django.test import Client
        from django_scopes import scopes_disabled

        from assets import services
        from assets.models import DownloadRecord
        from partners.models import Partner, Tier
        from partners.services import membership_create, partner_create

        source = work / "source.mp4"
        print(f"writing a {size // MB} MB file …", flush=True)
        make_file(source, size)
        tier, _ = Tier.objects.get_or_create(slug="gold", defaults={"name": "Gold", "rank": 30})
        partner = partner_create(
            actor=None,
            name="Bench Partner",
            slug="bench",
            tier=tier,
            partner_type=Partner.Type.RESELLER,
            status=Partner.Status.ACTIVE,
        )
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user("bench-sales", password="bench-password")  # noqa: S106
        membership_create(partner=partner, user=user, role="sales")
        asset = services.asset_create(actor=None, title="Bench video", kind="video")
        with source.open("rb") as handle:
            version = services.asset_version_add(
                asset=asset, upload=File(handle, name="bench.mp4"), uploaded_by=None
            )
        services.asset_publish(asset=asset, actor=None)
        stored = Path(version.file.path)
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        url_path = f"/portal/library/{asset.uuid}/files/{version.uuid}/download/"

        port = free_port()
        server = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        workers = worker_pids(server.pid)
        worker = workers[0]
        curl = [
            "curl",
            "--silent",
            "--fail",
            "--output",
            "/dev/null",
            "--cookie",
            f"sessionid={session}",
            base + url_path,
        ]
        # Warm up without downloading (a download that buffered the file would raise the
        # baseline and hide itself): the asset page imports and connects everything.
        subprocess.run(["cat", str(stored)], check=True, stdout=subprocess.DEVNULL)
        page = [*curl[:-1], base + f"/portal/library/{asset.uuid}/"]
        for _ in range(3):
            subprocess.run(page, check=True)
        baseline = rss_kb(worker)
        peak = baseline
        sampling = True

        def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, rss_kb(worker))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        download_s, copied_s, cat_s = [], [], []
        for round_number in range(1, rounds + 1):
            cat_s.append(timed(["cat", str(stored)]))
            seconds, received = fetch(port, url_path, session)
            assert received == size, (received, size)
            download_s.append(seconds)
            copied, received = fetch(port, url_path, session, discard=False)
            assert received == size, (received, size)
            copied_s.append(copied)
            print(
                f"round {round_number}: cat {size / MB / cat_s[-1]:.0f} MB/s, "
                f"download {size / MB / download_s[-1]:.0f} MB/s "
                f"({size / MB / copied_s[-1]:.0f} MB/s when the client copies it)",
                flush=True,
            )
        sampling = False
        sampler.join()
        recorded_extra = 0
        if args.strace and shutil.which("strace"):
            tracer = subprocess.Popen(
                ["strace", "-c", "-f", "-p", str(worker)],
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(1)
            fetch(port, url_path, session)
            tracer.send_signal(signal.SIGINT)
            summary = tracer.communicate(timeout=30)[1]
            print("worker syscalls during one download:")
            print("\n".join(summary.splitlines()[:12]))
            recorded_extra = 1  # one more download recorded
        peak = max(peak, rss_kb(worker, "VmHWM") if rounds else peak)
        with scopes_disabled():
            recorded = DownloadRecord.objects.filter(version=version).count() - recorded_extra
        assert recorded == 2 * rounds, recorded  # every download checked and recorded
        cat_rate = size / statistics.median(cat_s)
        download_rate = size / statistics.median(download_s)
        ratio = statistics.median(c / d for c, d in zip(cat_s, download_s, strict=True))
        copied_ratio = statistics.median(c / d for c, d in zip(cat_s, copied_s, strict=True))
        growth_mb = max(0, peak - baseline) / 1024
        print(
            f"{size // MB} MB file, {rounds} rounds: cat {cat_rate / MB:.0f} MB/s, download "
            f"{download_rate / MB:.0f} MB/s; worker RSS {baseline / 1024:.0f} MB → peak "
            f"{peak / 1024:.0f} MB; {recorded} downloads recorded"
        )
        print(f"client copying the body into memory: {copied_ratio:.2f} x cat")
        print(
            "time to the first byte (access check, download record, headers): median "
            f"{statistics.median(FIRST_BYTES) * 1000:.1f} ms"
        )
        print(f"figure: download_vs_cat {ratio:.2f} x")
        print(f"figure: download_mem_growth_mb {growth_mb:.1f} MB")
        print(f"figure: download_throughput_mb_s {download_rate / MB:.0f} MB/s")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
