"""The embedded broker of `make run`: kombu's filesystem transport against its SQLAlchemy
transport on a SQLite file, each with the result backend it would be deployed with.

    python bench/embedded_broker.py filesystem sqlalchemy [--quick] [--messages 3000 --producers 4]
        [--prefetch 16]     # worker_prefetch_multiplier (settings: 16 on the embedded broker)
    BENCH_WAL=1 python …    # the SQLite files in WAL mode, as config.settings makes them

For each: a real worker (prefork, two processes) on a fresh folder; the round trip of one
task, sent and awaited one after another; then several producer processes send their share
of the messages at once, and the figure is how many tasks per second come back with a
result. Whether the worker survived, and how many results never came, is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent


def make_app(kind: str, folder: Path) -> Celery:
    app = Celery("bench")
    if kind == "filesystem":
        for name in ("queue", "control", "results"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        app.conf.broker_url = "filesystem://localhost//"
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
        app.conf.result_backend = f"file://{folder / 'results'}"
    else:
        if os.environ.get("BENCH_WAL"):
            for name in ("broker.sqlite3", "results.sqlite3"):
                with contextlib.closing(sqlite3.connect(folder / name)) as db:
                    db.execute("PRAGMA journal_mode=WAL")
        app.conf.broker_url = f"sqla+sqlite:///{folder / 'broker.sqlite3'}"
        app.conf.broker_transport_options = {"connect_args": {"timeout": 20}}
        app.conf.result_backend = f"db+sqlite:///{folder / 'results.sqlite3'}"
    app.conf.task_acks_late = True
    app.conf.worker_prefetch_multiplier = int(os.environ.get("BENCH_PREFETCH", "1"))
    return app


app = make_app(os.environ.get("BENCH_KIND", "sqlalchemy"), Path(os.environ.get("BENCH_DIR", ".")))


@app.task
def echo(value: str) -> str:
    return value


def produce(kind: str, folder: str, prefix: str, count: int, queue) -> None:
    os.environ.update(BENCH_KIND=kind, BENCH_DIR=folder)
    producer = make_app(kind, Path(folder))
    ids = []
    for i in range(count):
        result = producer.send_task(
            "bench.embedded_broker.echo", args=[f"{prefix}-{i}"], task_id=f"{prefix}-{i}"
        )
        ids.append(result.id)
    queue.put(ids)


def run(kind: str, messages: int, producers: int, prefetch: int) -> dict[str, tuple[float, str]]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    env = {**os.environ, "BENCH_KIND": kind, "BENCH_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    env["BENCH_PREFETCH"] = str(prefetch)
    local = make_app(kind, folder)
    command = [sys.executable, "-m", "celery", "-A", "bench.embedded_broker", "worker"]
    command += ["--concurrency=2", "--loglevel=WARNING", "--without-mingle", "--without-gossip"]
    with (folder / "worker.log").open("wb") as worker_log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=worker_log
        )
    try:
        local.send_task("bench.embedded_broker.echo", args=["warm-up"]).get(timeout=60)
        trips = []
        for i in range(30):
            started = time.perf_counter()
            local.send_task("bench.embedded_broker.echo", args=[str(i)]).get(
                timeout=60, interval=0.05
            )
            trips.append(time.perf_counter() - started)

        share = messages // producers
        outbox: multiprocessing.Queue = multiprocessing.Queue()
        started = time.perf_counter()
        senders = [
            multiprocessing.Process(
                target=produce, args=(kind, str(folder), f"p{p}", share, outbox)
            )
            for p in range(producers)
        ]
        for sender in senders:
            sender.start()
        ids = [task_id for _ in senders for task_id in outbox.get(timeout=600)]
        sent = time.perf_counter() - started
        missing = 0
        for task_id in ids:
            if worker.poll() is not None:
                missing += 1
                continue
            try:
                local.AsyncResult(task_id).get(timeout=120, interval=0.05)
            except Exception:  # noqa: BLE001 - a lost or unreadable result counts as missing
                missing += 1
        elapsed = time.perf_counter() - started
        alive = worker.poll() is None
        print(
            f"{kind:<11} {'WAL' if os.environ.get('BENCH_WAL') else ''} prefetch {prefetch:>2} | "
            f"round trip median {statistics.median(trips) * 1000:6.0f} ms, "
            f"p90 {statistics.quantiles(trips, n=10)[-1] * 1000:6.0f} ms | "
            f"{len(ids)} tasks from {producers} producers: sent in {sent:5.1f} s, "
            f"all back in {elapsed:5.1f} s = {len(ids) / elapsed:5.0f} tasks/s | "
            f"missing {missing} | worker {'alive' if alive else 'DEAD'}",
            flush=True,
        )
        if not alive:
            print((folder / "worker.log").read_text()[-1500:])
        return {
            f"broker_{kind}_round_trip_ms": (statistics.median(trips) * 1000, "ms"),
            f"broker_{kind}_tasks_per_s": (len(ids) / elapsed, "tasks/s"),
            f"broker_{kind}_missing": (missing, "count"),
            f"broker_{kind}_worker_died": (0 if alive else 1, "count"),
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="+", choices=["filesystem", "sqlalchemy"])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--prefetch", type=int, default=1, help="worker_prefetch_multiplier")
    parser.add_argument("--quick", action="store_true", help="500 messages (well under 2 minutes)")
    args = parser.parse_args()
    messages = 500 if args.quick else args.messages
    figures: dict[str, tuple[float, str]] = {}
    for kind in args.kinds:
        figures.update(run(kind, messages, args.producers, args.prefetch))
    if {"filesystem", "sqlalchemy"} <= set(args.kinds):
        ratio = (
            figures["broker_sqlalchemy_tasks_per_s"][0]
            / figures["broker_filesystem_tasks_per_s"][0]
        )
        figures["broker_sqlalchemy_vs_filesystem"] = (ratio, "ratio")
    for name, (value, unit) in figures.items():
        print(f"figure: {name} {value:.4g} {unit}")


if __name__ == "__main__":
    main()
