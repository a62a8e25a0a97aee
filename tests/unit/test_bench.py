"""The benchmark command runs end to end and reports every step."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_at_a_tiny_size_and_writes_every_step(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}", "CRM_DEMO": "1"}
    result = subprocess.run([sys.executable, "-m", "crm", "bench", "--customers", "500", "--repeat", "3",
                             "--skip-pages", "--skip-browser", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["seed"]["customers_added"] == 100  # the demo has 400
    for term, figures in data["search"].items():
        if term != "peak_rss_mb":
            assert figures["service"]["median_ms"] > 0 and figures["raw_sql_floor"]["p95_ms"] > 0
    assert data["insights"]["summary_table"]["runs"] == 3
    assert data["import"]["outcomes"]["imported"] == data["import"]["rows"] == 200
    assert data["import"]["write_floor_rows_per_s"] > 0  # the same rows written raw, then rolled back:
    with sqlite3.connect(tmp_path / "b.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 500 + 200
    assert all(data[step]["peak_rss_mb"] > 0 for step in ("seed", "search", "insights", "import"))


def test_bench_sync_step_runs_beside_the_file_import(tmp_path: Path) -> None:
    out = tmp_path / "sync.json"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "CRM_DEMO": "1",
           "CRM_BENCH_SOURCE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "crm", "bench", "--customers", "400", "--steps", "seed,sync",
                             "--sync-rows", "50", "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    sync = json.loads(out.read_text())["sync"]
    assert sync["sync_new"]["outcomes"]["imported"] == sync["file_import_new"]["outcomes"]["imported"] == 50
    assert sync["sync_changed"]["outcomes"]["updated"] == sync["file_import_changed"]["outcomes"]["updated"] == 50


def test_bench_custom_field_step_fills_a_choice_field_and_times_both_filters(tmp_path: Path) -> None:
    out = tmp_path / "custom.json"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "CRM_DEMO": "1"}
    result = subprocess.run([sys.executable, "-m", "crm", "bench", "--customers", "400", "--repeat", "3",
                             "--steps", "seed,custom_fields", "--out", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(out.read_text())["custom_fields"]
    assert data["values"] > 0
    for sort in ("sort_name", "sort_last_contact"):
        assert data[sort]["same_total"] is True  # both filters keep the same customers
        assert data[sort]["custom_field"]["median_ms"] > 0 and data[sort]["segment_column"]["median_ms"] > 0
