from __future__ import annotations

from pathlib import Path

import pytest

from tools.redact import redact
from tools.scopes_catalog import ALL_SCOPES
from tools.settings import Settings, SettingsError, load_settings

PEM = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
SIGNING_LINE = "SETTINGSKEYLINEabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGH"
SIGNING_PEM = f"-----BEGIN PRIVATE KEY-----\n{SIGNING_LINE}\n-----END PRIVATE KEY-----"


def test_defaults_run_the_sandbox_with_every_listed_scope() -> None:
    s = load_settings()
    assert s.hubspot_mode == "sandbox"
    assert s.hubspot_scopes == ALL_SCOPES
    assert "timeline" in s.hubspot_scopes and "oauth" in s.hubspot_scopes
    assert s.paragon_proxy_url == "https://proxy.useparagon.com"
    assert s.hubspot_base_url == "https://api.hubapi.com"


def test_scopes_from_env_accept_commas_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_SCOPES", "crm.objects.contacts.read, oauth  crm.objects.deals.read")
    assert load_settings().hubspot_scopes == ("crm.objects.contacts.read", "oauth", "crm.objects.deals.read")


def test_paragon_mode_names_each_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "paragon")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "ALYSIO_PARAGON_PROJECT_ID" in str(info.value)
    assert "ALYSIO_PARAGON_SIGNING_KEY" in str(info.value)


def test_direct_mode_requires_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "direct")
    with pytest.raises(SettingsError, match="ALYSIO_HUBSPOT_ACCESS_TOKEN"):
        load_settings()


def test_malformed_values_are_reported_by_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "carrier-pigeon")
    monkeypatch.setenv("ALYSIO_RATE_LIMIT_REQUESTS", "many")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "ALYSIO_HUBSPOT_MODE" in str(info.value)
    assert "ALYSIO_RATE_LIMIT_REQUESTS" in str(info.value)


def test_plain_http_base_url_is_refused_unless_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_BASE_URL", "http://api.hubapi.com")
    with pytest.raises(SettingsError, match="ALYSIO_HUBSPOT_BASE_URL"):
        load_settings()
    monkeypatch.setenv("ALYSIO_HUBSPOT_BASE_URL", "http://127.0.0.1:8765/")
    assert load_settings().hubspot_base_url == "http://127.0.0.1:8765"


def test_signing_key_from_text_with_escaped_newlines_or_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "paragon")
    monkeypatch.setenv("ALYSIO_PARAGON_PROJECT_ID", "proj-1")
    monkeypatch.setenv("ALYSIO_PARAGON_SIGNING_KEY", PEM.replace("\n", "\\n"))
    assert load_settings().signing_key_pem() == PEM + "\n"
    key_file = tmp_path / "paragon.pem"
    key_file.write_text(PEM)
    monkeypatch.setenv("ALYSIO_PARAGON_SIGNING_KEY", str(key_file))
    assert load_settings().signing_key_pem() == PEM + "\n"
    monkeypatch.setenv("ALYSIO_PARAGON_SIGNING_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match="ALYSIO_PARAGON_SIGNING_KEY"):
        load_settings().signing_key_pem()


def test_secrets_do_not_appear_in_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "direct")
    monkeypatch.setenv("ALYSIO_HUBSPOT_ACCESS_TOKEN", "pat-na1-very-secret")
    s = load_settings()
    assert "pat-na1-very-secret" not in repr(s)
    assert "pat-na1-very-secret" not in str(s.model_dump())


def test_planner_defaults_to_offline_and_to_openai_only_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().planner_name == "offline"
    monkeypatch.setenv("ALYSIO_OPENAI_API_KEY", "sk-test")
    assert load_settings().planner_name == "openai"
    monkeypatch.delenv("ALYSIO_OPENAI_API_KEY")
    monkeypatch.setenv("ALYSIO_PLANNER", "openai")
    with pytest.raises(SettingsError, match="ALYSIO_OPENAI_API_KEY"):
        load_settings()


def test_unknown_timezone_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_USER_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(SettingsError, match="ALYSIO_USER_TIMEZONE"):
        load_settings()


def test_storage_paths_default_under_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALYSIO_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.storage_path("checkpoints") == tmp_path / "checkpoints.sqlite"
    monkeypatch.setenv("ALYSIO_AUDIT_PATH", str(tmp_path / "a.db"))
    assert load_settings().storage_path("audit") == tmp_path / "a.db"


# --- configured secrets are masked wherever they appear ----------------------------------------------


def test_every_secret_setting_is_registered_for_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALYSIO_OPENAI_API_KEY", "model-key-plain-8080")
    monkeypatch.setenv("ALYSIO_HUBSPOT_ACCESS_TOKEN", "hubspot-token-plain-8080")
    monkeypatch.setenv("ALYSIO_PARAGON_SIGNING_KEY", SIGNING_PEM.replace("\n", "\\n"))

    load_settings()

    text = redact(
        f"echo model-key-plain-8080 hubspot-token-plain-8080 {SIGNING_LINE} {SIGNING_PEM.replace(chr(10), ' ')}"
    )
    assert "plain-8080" not in text and SIGNING_LINE not in text


def test_a_signing_key_read_from_a_file_is_registered_when_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other_line = "FILEBASEDKEYLINEabcdefghijklmnopqrstuvwxyz0123456789"
    key_file = tmp_path / "paragon.pem"
    key_file.write_text(f"-----BEGIN PRIVATE KEY-----\n{other_line}\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("ALYSIO_HUBSPOT_MODE", "paragon")
    monkeypatch.setenv("ALYSIO_PARAGON_PROJECT_ID", "proj-1")
    monkeypatch.setenv("ALYSIO_PARAGON_SIGNING_KEY", str(key_file))

    settings = load_settings()
    assert str(key_file) in redact(f"key at {key_file}")  # the path itself is no secret
    settings.signing_key_pem()

    assert other_line not in redact(f"upstream quoted {other_line}")


# --- bounds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "bad"),
    [
        ("ALYSIO_HTTP_TIMEOUT_SECONDS", ["0", "-1", "601", "inf", "nan"]),
        ("ALYSIO_OPENAI_TIMEOUT_SECONDS", ["0", "601", "inf", "nan"]),
        ("ALYSIO_CONFIRMATION_TTL_HOURS", ["0", "-2", str(24 * 30 + 1), "inf", "nan"]),
        ("ALYSIO_PARAGON_TOKEN_TTL_SECONDS", ["59", "86401"]),
        ("ALYSIO_RATE_LIMIT_REQUESTS", ["0", "100001"]),
        ("ALYSIO_RATE_LIMIT_WINDOW_SECONDS", ["0", "3601", "inf", "nan"]),
        ("ALYSIO_RATE_LIMIT_SEARCH_PER_SECOND", ["0", "1001"]),
        ("ALYSIO_MAX_RETRIES", ["-1", "11"]),
        ("ALYSIO_WRITE_SETTLE_SECONDS", ["-1", "601", "inf", "nan"]),
        ("ALYSIO_SEARCH_LAG_SECONDS", ["-1", "601", "inf", "nan"]),
        ("ALYSIO_WRITE_LEASE_SECONDS", ["0", "601", "inf", "nan"]),
        ("ALYSIO_MAX_WRITES_PER_APPROVAL", ["0", "51"]),
    ],
)
def test_numeric_settings_have_sane_bounds(
    monkeypatch: pytest.MonkeyPatch, variable: str, bad: list[str]
) -> None:
    for value in bad:
        monkeypatch.setenv(variable, value)
        with pytest.raises(SettingsError, match=variable):
            load_settings()
    monkeypatch.delenv(variable)
    load_settings()


def test_every_numeric_setting_is_bounded() -> None:
    """A new number setting must get bounds (and a row in the test above)."""
    for name, field in Settings.model_fields.items():
        if field.annotation in (int, float, "int", "float"):
            kinds = {type(m).__name__ for m in field.metadata}
            assert kinds & {"Gt", "Ge"} and kinds & {"Lt", "Le"}, f"{name} has no bounds"


def test_a_dot_env_that_is_not_utf8_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_bytes(b"ALYSIO_USER_NAME=Jos\xe9\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert ".env" in message and "not UTF-8" in message and "0xe9" in message and "\n" not in message
