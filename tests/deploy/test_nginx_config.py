"""The example reverse-proxy configuration in docs/deploy.md is valid nginx."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx-crm-portal.conf"


def test_deploy_guide_names_the_example_config_and_the_essentials() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for must in ("deploy/nginx-crm-portal.conf", "sticky", "python -m crm migrate", "pg_dump",
                 "pg_restore", "CRM_COOKIE_KEY", "DATABASE_URL", "_stcore/health"):
        assert must in guide, must
    conf = CONF.read_text()
    assert "ip_hash" in conf and "Upgrade $http_upgrade" in conf


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed: config not checked")
def test_example_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=crm.test",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    site = CONF.read_text().replace("/etc/ssl/certs/crm-portal.pem", str(cert)).replace(
        "/etc/ssl/private/crm-portal.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
