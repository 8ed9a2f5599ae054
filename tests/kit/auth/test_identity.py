"""What a refused authentication carries: a short reason that is safe to show, and a status."""

import pytest

from atlassian_connect_kit.auth.identity import AuthenticationFailed


def test_a_refusal_is_a_401_whose_text_is_its_reason():
    refusal = AuthenticationFailed("unknown tenant")
    assert (refusal.reason, refusal.status) == ("unknown tenant", 401)
    assert str(refusal) == "unknown tenant"


def test_a_refusal_may_carry_another_status():
    with pytest.raises(AuthenticationFailed) as raised:
        raise AuthenticationFailed("the tenant store is unavailable", status=503)
    assert raised.value.status == 503
