"""The HTTP API, measured against a real `streamlit run app.py` over the benchmark's database.

- customer search through the API (GET /api/v1/customers?q=..., over one keep-alive connection and over a new
  connection per request) beside the same search through the service layer (``customers_after`` in this
  process: the API's own floor);
- 20 concurrent clients reading (searches and single customers) from one server: p95 and requests per second;
- requests per second of the same load against constant endpoints (the framework's floor): Streamlit's own
  ``/_stcore/health`` on the same server, and a bare FastAPI endpoint served by a plain uvicorn.

The client is ``http.client`` (it sets TCP_NODELAY and sends a GET's head in one write); a keep-alive stall of
40 ms per response was the server's (Nagle's algorithm on its connections, ui/connections.py).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
PER_CLIENT = 50
TERMS = ["jos", "jose alvarez", "иван", "sinar jaya"]
SEARCH_RUNS = 200  # the API's search and the service's, in turn: a p95 of 200 runs, not the second slowest of 30

floor = FastAPI()  # the bare endpoint: `python -m uvicorn bench.api:floor`


@floor.get("/constant")
def constant() -> dict[str, str]:
    return {"status": "ok"}


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2), "runs": len(samples)}


def _side_by_side(one: Callable[[], Any], other: Callable[[], Any], repeat: int) -> tuple[dict[str, float], ...]:
    """Both timed in turn, run after run, so that both meet the machine in the same state (a busy second
    slows both, not one of them)."""
    one(), other()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, times in ((one, samples[0]), (other, samples[1])):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    return _stats(samples[0]), _stats(samples[1])


def _timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return _stats(samples)


class _Client:
    """One keep-alive HTTP connection, as an integration would hold it."""

    def __init__(self, base: str, secret: str | None) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str) -> int:
        try:
            self.conn.request("GET", path, headers=self.headers)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()  # the server closed the idle connection (keep-alive timeout): open a new one
            self.conn.request("GET", path, headers=self.headers)
            resp = self.conn.getresponse()
        resp.read()
        return resp.status


def _load(base: str, secret: str | None, paths: list[str]) -> dict[str, Any]:
    """CLIENTS threads, each with its own connection, each sending PER_CLIENT requests; p95 and throughput."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(n: int) -> None:
        c = _Client(base, secret)
        rnd = random.Random(n)
        mine = []
        for _ in range(PER_CLIENT):
            start = time.perf_counter()
            status = c.get(rnd.choice(paths))
            mine.append((time.perf_counter() - start) * 1000)
            if status != 200:
                failures[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - start
    return {**_stats(latencies), "requests_per_s": round(len(latencies) / took), "clients": CLIENTS,
            "not_200": failures[0]}


def _wait(url: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in 60 s")


def measure(url: str, repeat: int = 20) -> dict[str, Any]:
    from crm.accounts.api_keys import create_key
    from crm.accounts.users import actor_for
    from crm.core.database import session_scope
    from crm.customers.service import SEARCHES, customers_after
    from db.engine import dispose_all
    from tests.browser.conftest import _free_port, start_portal, stop_portal
    from tools.seed import ensure_demo_accounts

    with session_scope(url) as s:
        ensure_demo_accounts(session=s)  # the demo's admin and sales (a database seeded without them has none)
    with session_scope(url) as s:
        admin = actor_for("admin", session=s)
        name = f"bench-{int(time.time())}"
        _info, secret = create_key(admin, name, "sales", rate_per_minute=100_000, session=s)
        _info, masked = create_key(admin, name + "-masked", "sales", ["customers.read"], rate_per_minute=100_000,
                                   session=s)
        who = actor_for("sales", session=s, source="api")
        top = s.execute(__import__("sqlalchemy").text("SELECT max(id) FROM customers")).scalar() or 1
    dispose_all()
    out: dict[str, Any] = {}
    proc, base = start_portal(url)
    try:
        api = _Client(base, secret)
        for term in TERMS:
            q = urllib.request.quote(term)

            def through_api() -> None:
                assert api.get(f"/api/v1/customers?q={q}&limit=25") == 200

            def through_api_new_connection() -> None:
                fresh = _Client(base, secret)
                assert fresh.get(f"/api/v1/customers?q={q}&limit=25") == 200
                fresh.conn.close()

            def through_service() -> None:
                with session_scope(url) as s:
                    customers_after(who, term, limit=25, session=s)

            via_api, via_service = _side_by_side(through_api, through_service, max(repeat, SEARCH_RUNS))
            out[f"search {term}"] = {"api": via_api, "api_new_connection": _timed(through_api_new_connection, repeat),
                                     "service": via_service,
                                     "ratio_p95": round(via_api["p95_ms"] / max(via_service["p95_ms"], 1e-6), 2)}
            SEARCHES.forget()
        rnd = random.Random(1)
        reads = [f"/api/v1/customers/{rnd.randint(1, top)}" for _ in range(200)]
        reads += [f"/api/v1/customers?q={urllib.request.quote(t)}&limit=25" for t in TERMS]
        out["20 clients reading"] = _load(base, secret, reads)  # contact details shown: each read audited
        out["20 clients reading, masked key"] = _load(base, masked, reads)  # no read_pii: nothing written
        out["same server's constant /_stcore/health, 20 clients"] = _load(base, None, ["/_stcore/health"])
    finally:
        stop_portal(proc)
    port = _free_port()
    bare = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.api:floor", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=os.environ.copy())
    try:
        _wait(f"http://127.0.0.1:{port}/constant")
        out["bare FastAPI constant, 20 clients"] = _load(f"http://127.0.0.1:{port}", None, ["/constant"])
    finally:
        bare.terminate()
        bare.wait(timeout=10)
    reads_per_s = out["20 clients reading"]["requests_per_s"]
    same_server = out["same server's constant /_stcore/health, 20 clients"]["requests_per_s"]
    out["reads per s / floor per s"] = {
        "same server": round(reads_per_s / same_server, 2),
        "bare uvicorn": round(reads_per_s / out["bare FastAPI constant, 20 clients"]["requests_per_s"], 2)}
    return out
