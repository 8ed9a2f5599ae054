"""``/.well-known/security.txt`` tells researchers where to report, per RFC 9116."""

import datetime as dt

import pytest
from webtest import TestApp

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.security.securitytxt import render_security_txt
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

HTTPS = {"wsgi.url_scheme": "https"}


def fields(text):
    """The RFC 9116 fields of a security.txt, in order, as (name, value) pairs."""
    pairs = []
    for line in text.splitlines():
        name, separator, value = line.partition(": ")
        assert separator and name and value, f"not a field line: {line!r}"
        pairs.append((name, value))
    return pairs


@pytest.fixture
def app(tmp_path):
    return TestApp(
        make_app(
            {
                **TEST_APP_IDENTITY,
                "ack.base_url": "https://app.example.com",
                "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
                "ack.encryption_keys": generate_key_line(),
                "ack.security.contact": "mailto:security@example.com",
                "ack.security.policy_url": "https://example.com/security-policy",
            }
        ),
        extra_environ=HTTPS,
    )


def test_security_txt_names_contact_policy_language_and_an_expiry_within_a_year(app):
    response = app.get("/.well-known/security.txt", status=200)
    assert response.content_type == "text/plain" and response.charset == "utf-8"
    found = dict(fields(response.text))
    assert found["Contact"] == "mailto:security@example.com"
    assert found["Policy"] == "https://example.com/security-policy"
    assert found["Preferred-Languages"] == "en"
    assert found["Canonical"] == "https://app.example.com/.well-known/security.txt"
    expires = dt.datetime.fromisoformat(found["Expires"])
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(days=150) < expires < now + dt.timedelta(days=365)


def test_security_txt_needs_no_token(app):
    assert app.get("/.well-known/security.txt").status_code == 200
    assert "no-store" not in app.get("/.well-known/security.txt").headers.get("Cache-Control", "")


def test_render_is_exact_for_a_given_day():
    settings = load_settings(
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": "https://app.example.com",
            "ack.security.contact": "https://example.com/report",
        },
        environ={},
    )
    text = render_security_txt(settings, now=dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC))
    assert text == (
        "Contact: https://example.com/report\n"
        "Expires: 2027-05-26T00:00:00Z\n"
        "Preferred-Languages: en\n"
        "Canonical: https://app.example.com/.well-known/security.txt\n"
    )


def test_dev_mode_without_a_contact_has_no_security_txt(tmp_path):
    app = TestApp(
        make_app(
            {
                **TEST_APP_IDENTITY,
                "ack.base_url": "http://localhost:6543",
                "ack.dev_mode": "true",
                "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
                "here": str(tmp_path),
            }
        )
    )
    app.get("/.well-known/security.txt", status=404)
