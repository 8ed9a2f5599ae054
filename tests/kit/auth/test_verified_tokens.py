import pytest

from atlassian_connect_kit.auth.verified_tokens import VerifiedTokens


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


CLAIMS = {"iss": "jira:1", "exp": 1_000_060, "qsh": "context-qsh"}
COND = {"expected_qsh": "abc", "allow_context_qsh": True}


def test_a_verified_token_is_reused_under_the_same_conditions_only():
    clock = Clock()
    cache = VerifiedTokens(clock=clock)
    cache.remember("t", CLAIMS, shared_secret="s1", **COND)
    assert cache.get("t", shared_secret="s1", leeway=0, **COND) == CLAIMS
    assert cache.get("t", shared_secret="rotated", leeway=0, **COND) is None
    assert (
        cache.get("t", shared_secret="s1", leeway=0, expected_qsh="other", allow_context_qsh=True)
        is None
    )
    assert (
        cache.get("t", shared_secret="s1", leeway=0, expected_qsh="abc", allow_context_qsh=False)
        is None
    )
    assert cache.get("other-token", shared_secret="s1", leeway=0, **COND) is None


def test_entries_die_with_their_token():
    clock = Clock()
    cache = VerifiedTokens(clock=clock)
    cache.remember("t", CLAIMS, shared_secret="s1", **COND)
    clock.now = 1_000_059
    assert cache.get("t", shared_secret="s1", leeway=0, **COND) == CLAIMS
    clock.now = 1_000_060
    assert cache.get("t", shared_secret="s1", leeway=0, **COND) is None


def test_the_cache_is_bounded():
    cache = VerifiedTokens(max_entries=2, clock=Clock())
    for token in ("a", "b", "c"):
        cache.remember(token, CLAIMS, shared_secret="s", **COND)
    assert cache.get("a", shared_secret="s", leeway=0, **COND) is None
    assert cache.get("c", shared_secret="s", leeway=0, **COND) == CLAIMS


def test_the_issuer_of_a_known_token_is_read_without_parsing_it_and_only_while_valid():
    clock = Clock()
    cache = VerifiedTokens(clock=clock)
    assert cache.issuer("t", **COND) is None
    cache.remember("t", CLAIMS, shared_secret="s1", **COND)
    assert cache.issuer("t", **COND) == "jira:1"
    assert cache.issuer("t", expected_qsh="other", allow_context_qsh=True) is None
    assert cache.issuer("t", expected_qsh="abc", allow_context_qsh=False) is None
    clock.now = 1_000_060
    assert cache.issuer("t", **COND) is None


def test_the_cache_keeps_as_many_entries_as_allowed():
    cache = VerifiedTokens(max_entries=2, clock=Clock())
    cache.remember("a", CLAIMS, shared_secret="s", **COND)
    cache.remember("b", CLAIMS, shared_secret="s", **COND)
    assert cache.get("a", shared_secret="s", leeway=0, **COND) == CLAIMS
    assert cache.get("b", shared_secret="s", leeway=0, **COND) == CLAIMS


def test_a_reused_entry_outlives_older_ones():
    cache = VerifiedTokens(max_entries=2, clock=Clock())
    cache.remember("a", CLAIMS, shared_secret="s", **COND)
    cache.remember("b", CLAIMS, shared_secret="s", **COND)
    assert cache.get("a", shared_secret="s", leeway=0, **COND) == CLAIMS  # a is now the newest
    cache.remember("c", CLAIMS, shared_secret="s", **COND)
    assert cache.get("a", shared_secret="s", leeway=0, **COND) == CLAIMS
    assert cache.get("b", shared_secret="s", leeway=0, **COND) is None


def test_the_leeway_extends_an_entry_like_the_token():
    clock = Clock()
    cache = VerifiedTokens(clock=clock)
    cache.remember("t", CLAIMS, shared_secret="s1", **COND)
    clock.now = 1_000_089
    assert cache.get("t", shared_secret="s1", leeway=30, **COND) == CLAIMS
    clock.now = 1_000_090
    assert cache.get("t", shared_secret="s1", leeway=30, **COND) is None


def test_claims_without_a_numeric_expiry_are_never_remembered():
    cache = VerifiedTokens(clock=Clock())
    cache.remember("t", {"iss": "jira:1"}, shared_secret="s", **COND)
    cache.remember("u", {"iss": "jira:1", "exp": "soon"}, shared_secret="s", **COND)
    assert cache.get("t", shared_secret="s", leeway=0, **COND) is None
    assert cache.get("u", shared_secret="s", leeway=0, **COND) is None


def test_a_token_is_verified_once_while_it_is_remembered():
    cache = VerifiedTokens(clock=Clock())
    calls = []

    def verifier():
        calls.append(1)
        return CLAIMS

    for _ in range(3):
        assert cache.verify("t", shared_secret="s", leeway=0, verifier=verifier, **COND) == CLAIMS
    assert len(calls) == 1
    cache.verify("t", shared_secret="rotated", leeway=0, verifier=verifier, **COND)
    assert len(calls) == 2


def test_a_refusal_is_never_remembered():
    cache = VerifiedTokens(clock=Clock())
    outcomes = [ValueError("refused"), CLAIMS]

    def verifier():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(ValueError, match="refused"):
        cache.verify("t", shared_secret="s", leeway=0, verifier=verifier, **COND)
    assert cache.verify("t", shared_secret="s", leeway=0, verifier=verifier, **COND) == CLAIMS


def test_a_cache_must_hold_at_least_one_entry():
    with pytest.raises(ValueError, match="max_entries"):
        VerifiedTokens(max_entries=0)
    assert VerifiedTokens(max_entries=1) is not None


@pytest.mark.parametrize("issuer", ["", 7, None])
def test_a_remembered_token_without_a_usable_issuer_names_none(issuer):
    # The caller then parses the token for its issuer, as for a token never seen.
    cache = VerifiedTokens(clock=Clock())
    cache.remember("t", {**CLAIMS, "iss": issuer}, shared_secret="s", **COND)
    assert cache.issuer("t", **COND) is None
