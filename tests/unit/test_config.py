"""Demo mode and the cookie key."""
from __future__ import annotations

import pytest

from crm.core import config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    for name in ("DATABASE_URL", "CRM_DEMO", "CRM_COOKIE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_SECRETS_FILE", str(tmp_path / "secrets.toml"))
    config.reset()
    yield
    config.reset()


def test_embedded_default_is_demo_mode_with_sqlite_under_data() -> None:
    assert config.demo_mode()
    assert config.database_url().startswith("sqlite:///") and "/data/" in config.database_url()
    assert config.cookie_key()  # a demo key is fine in demo mode


def test_database_url_set_turns_demo_off_and_needs_a_strong_cookie_key(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/crm")
    assert not config.demo_mode()
    with pytest.raises(config.ConfigError) as err:
        config.cookie_key()
    assert "CRM_COOKIE_KEY" in str(err.value)
    monkeypatch.setenv("CRM_COOKIE_KEY", config.DEMO_COOKIE_KEY)
    with pytest.raises(config.ConfigError):
        config.cookie_key()  # the published demo key is refused
    monkeypatch.setenv("CRM_COOKIE_KEY", "x" * 40)
    assert config.cookie_key() == "x" * 40


def test_crm_demo_forces_demo_mode_on_any_database(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/crm")
    monkeypatch.setenv("CRM_DEMO", "1")
    assert config.demo_mode()


def test_settings_come_from_secrets_toml(tmp_path, monkeypatch) -> None:
    (tmp_path / "secrets.toml").write_text('DATABASE_URL = "sqlite:////tmp/elsewhere.sqlite3"\n'
                                           f'CRM_COOKIE_KEY = "{"k" * 48}"\n')
    config.reset()
    assert config.database_url() == "sqlite:////tmp/elsewhere.sqlite3"
    assert not config.demo_mode()
    assert config.cookie_key() == "k" * 48
