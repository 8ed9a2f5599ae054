import pytest

from atlassian_connect_kit.settings import SETTINGS, SettingsError, env_var_name, load_settings
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

BASE = {**TEST_APP_IDENTITY, "ack.base_url": "https://app.example.com"}


def test_defaults_follow_the_documented_contract():
    settings = load_settings(BASE, environ={}, here="/srv/app")
    assert settings.app_key == TEST_APP_IDENTITY["ack.app_key"]
    assert settings.app_description == ""
    assert settings.plugins == ()
    assert settings.dev_mode is False
    assert settings.database_url == "sqlite:////srv/app/var/ack.sqlite"
    assert settings.install_keys_url == "https://connect-install-keys.atlassian.com"
    assert settings.oauth2_token_url.endswith("/oauth2/token")
    assert 0 < settings.jwt_leeway <= 60
    assert settings.tenant_cache_seconds == 30


def test_environment_overrides_every_setting_by_its_upper_case_name():
    environ = {
        "ACK_BASE_URL": "https://other.example.com/",
        "ACK_PLUGINS": "smart_timesheet",
        "ACK_HOST_MAX_ATTEMPTS": "7",
        "ACK_DATABASE_URL": "postgresql+psycopg://db/app",
    }
    settings = load_settings(BASE, environ=environ)
    assert settings.base_url == "https://other.example.com"
    assert settings.plugins == ("smart_timesheet",)
    assert settings.host_max_attempts == 7
    assert settings.database_url == "postgresql+psycopg://db/app"


def test_env_var_names():
    assert env_var_name("ack.base_url") == "ACK_BASE_URL"
    assert env_var_name("ack.backup.dir") == "ACK_BACKUP_DIR"
    assert env_var_name("sqlalchemy.url") == "ACK_DATABASE_URL"


@pytest.mark.parametrize(
    ("raw", "setting", "fragment"),
    [
        ({}, "ack.base_url", "required"),
        ({**TEST_APP_IDENTITY, "ack.base_url": "http://app.example.com"}, "ack.base_url", "https"),
        ({**TEST_APP_IDENTITY, "ack.base_url": "not a url"}, "ack.base_url", "absolute"),
        (
            {**TEST_APP_IDENTITY, "ack.base_url": "https://app.example.com?x=1"},
            "ack.base_url",
            "query",
        ),
        (
            {**TEST_APP_IDENTITY, "ack.base_url": "http://app.example.com", "ack.dev_mode": "true"},
            "ack.base_url",
            "localhost",
        ),
        ({**BASE, "ack.install_keys_url": "http://127.0.0.1:1"}, "ack.install_keys_url", "https"),
        ({**BASE, "ack.jwt_leeway": "600"}, "ack.jwt_leeway", "between 0 and 60, got 600"),
        ({**BASE, "ack.jwt_leeway": "-1"}, "ack.jwt_leeway", "between 0 and 60, got -1"),
        ({**BASE, "ack.backup.keep_days": "0"}, "ack.backup.keep_days", "at least 1, got 0"),
        ({**BASE, "ack.jwt_leeway": "soon"}, "ack.jwt_leeway", "whole number"),
        ({**BASE, "ack.dev_mode": "maybe"}, "ack.dev_mode", "true or false"),
    ],
)
def test_invalid_settings_fail_with_one_line_naming_the_setting(raw, setting, fragment):
    with pytest.raises(SettingsError) as info:
        load_settings(raw, environ={})
    message = str(info.value)
    assert message.startswith(setting + ":")
    assert fragment in message
    assert "\n" not in message


def test_dev_mode_allows_local_http():
    settings = load_settings(
        {**TEST_APP_IDENTITY, "ack.base_url": "http://localhost:6543", "ack.dev_mode": "true"},
        environ={},
    )
    assert settings.base_url == "http://localhost:6543"
    assert settings.base_path == ""


def test_every_setting_has_a_unique_name():
    names = [spec.name for spec in SETTINGS]
    assert len(names) == len(set(names))


def test_request_bodies_and_token_lifetimes_are_bounded_by_default():
    settings = load_settings(BASE, environ={})
    assert settings.max_request_body_bytes == 1048576
    assert settings.jwt_max_lifetime == 3600


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"ack.jwt_max_lifetime": "59"}, r"^ack\.jwt_max_lifetime: must be between 60 and 86400"),
        (
            {"ack.jwt_max_lifetime": "86401"},
            r"^ack\.jwt_max_lifetime: must be between 60 and 86400, got 86401",
        ),
        (
            {"ack.jwt_max_lifetime": "120", "ack.context_token_seconds": "300"},
            r"^ack\.jwt_max_lifetime: must be at least ack\.context_token_seconds",
        ),
        ({"ack.max_request_body_bytes": "65535"}, r"^ack\.max_request_body_bytes: must be"),
        ({"ack.max_request_body_bytes": "lots"}, r"^ack\.max_request_body_bytes: expected a whole"),
    ],
)
def test_body_and_lifetime_limits_are_validated(changes, problem):
    with pytest.raises(SettingsError, match=problem):
        load_settings({**BASE, **changes}, environ={})


@pytest.mark.parametrize(
    "missing", ["ack.app_key", "ack.app_name", "ack.vendor_name", "ack.vendor_url"]
)
@pytest.mark.parametrize("value", [None, "", "  "])
def test_the_kit_has_no_default_identity_each_part_is_required_in_one_line(missing, value):
    raw = {k: v for k, v in BASE.items() if k != missing}
    if value is not None:
        raw[missing] = value
    with pytest.raises(SettingsError) as refused:
        load_settings(raw, environ={})
    message = str(refused.value)
    assert refused.value.setting == missing
    assert message.startswith(f"{missing}: is required")
    assert env_var_name(missing) in message
    assert "\n" not in message


def test_the_identity_comes_from_the_environment_like_every_setting():
    raw = {"ack.base_url": "https://app.example.com"}
    environ = {env_var_name(name): value for name, value in TEST_APP_IDENTITY.items()}
    environ["ACK_APP_KEY"] = "from-the-environment"
    assert load_settings(raw, environ=environ).app_key == "from-the-environment"


def test_commands_that_only_operate_the_store_need_no_identity():
    settings = load_settings({}, environ={}, require_base_url=False)
    assert settings.app_key == ""


@pytest.mark.parametrize(
    "contact", ["mailto:security@example.com", "https://example.com/report", "tel:+1-555-0100"]
)
def test_every_documented_contact_scheme_is_accepted(contact):
    assert (
        load_settings({**BASE, "ack.security.contact": contact}, environ={}).security_contact
        == contact
    )


def test_the_https_rule_covers_all_js_url():
    with pytest.raises(SettingsError, match=r"^ack.all_js_url: must use https outside dev mode"):
        load_settings({**BASE, "ack.all_js_url": "http://localhost:9/all.js"}, environ={})
    dev = {**BASE, "ack.dev_mode": "true", "ack.base_url": "http://localhost:6543"}
    assert load_settings({**dev, "ack.all_js_url": "http://127.0.0.1:9/all.js"}, environ={})
    with pytest.raises(SettingsError, match="only allowed for localhost"):
        load_settings({**dev, "ack.all_js_url": "http://cdn.example.com/all.js"}, environ={})
