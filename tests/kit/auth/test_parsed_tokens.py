"""A token parsed once verifies exactly as its text does; what the parse refuses."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from atlassian_connect_kit.auth.tokens import (
    TokenError,
    parse_token,
    unverified_issuer,
    verify_tenant_token,
)

SECRET = "a-shared-secret-of-some-length-0123456789"
QSH = "0" * 64


def _claims(**extra):
    now = int(time.time())
    return {"iss": "client-one", "iat": now, "exp": now + 60, "qsh": QSH, **extra}


def _segment(value) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _verify(token):
    return verify_tenant_token(
        token,
        shared_secret=SECRET,
        client_key="client-one",
        expected_qsh=QSH,
        allow_context_qsh=False,
    )


def test_a_parsed_token_verifies_like_its_text():
    text = jwt.encode(_claims(sub="user-1"), SECRET, algorithm="HS256")
    parsed = parse_token(text)
    assert unverified_issuer(parsed) == unverified_issuer(text) == "client-one"
    assert (
        _verify(parsed)
        == _verify(text)
        == jwt.decode(text, SECRET, algorithms=["HS256"], options={"verify_signature": True})
    )
    assert "sub" not in repr(parsed) and text not in repr(parsed)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "one.two",
        "a.b.c.d",
        "!!!.###.$$$",
        f"{_segment([1])}.{_segment({})}.c2ln",
        f"{_segment({'alg': 'HS256'})}.{_segment('text')}.c2ln",
    ],
)
def test_malformed_tokens_are_refused_by_the_parse(token):
    with pytest.raises(TokenError, match="malformed token"):
        parse_token(token)


def test_the_algorithm_is_pinned_whatever_the_header_says():
    claims = _claims()
    unsigned = f"{_segment({'alg': 'none'})}.{_segment(claims)}."
    with pytest.raises(TokenError, match="not signed with HS256"):
        _verify(unsigned)
    forged = jwt.encode(claims, SECRET, algorithm="HS512")
    with pytest.raises(TokenError, match="not signed with HS256"):
        _verify(forged)


def test_a_wrong_secret_or_altered_payload_fails_the_signature():
    text = jwt.encode(_claims(), "another-secret-entirely-0123456789", algorithm="HS256")
    with pytest.raises(TokenError, match="signature is invalid"):
        _verify(text)
    header, _, signature = jwt.encode(_claims(), SECRET, algorithm="HS256").split(".")
    altered = f"{header}.{_segment(_claims(sub='admin'))}.{signature}"
    with pytest.raises(TokenError, match="signature is invalid"):
        _verify(altered)


def test_critical_header_extensions_are_refused():
    text = jwt.encode(_claims(), SECRET, algorithm="HS256", headers={"crit": ["exp"]})
    with pytest.raises(TokenError, match="malformed token"):
        _verify(text)
