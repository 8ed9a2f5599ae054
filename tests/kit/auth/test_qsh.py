"""The canonical request and query string hash agree with Atlassian's and resist the usual drift."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from atlassian_connect_kit.auth.qsh import (
    canonical_path,
    canonical_query,
    canonical_request,
    qsh_for_url,
    query_string_hash,
)
from tests.shared_data import shared_path

VECTOR_COUNT = 79

# A name or value of any text, and a name that is never the token parameter the hash leaves out.
any_text = st.text(max_size=12)
parameter_names = st.text(min_size=1, max_size=8).filter(lambda name: name != "jwt")


def load_vectors() -> dict[str, Any]:
    """Return Atlassian's signed-URL interoperability vectors."""
    path = shared_path("vectors", "jwt-signed-urls.json")
    vectors: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vectors


def encode(text: str) -> str:
    """Percent-encode text the way a browser's form would, spaces as '+'."""
    return quote(text, safe="").replace("%20", "+")


def build_query(pairs: list[tuple[str, str]]) -> str:
    """Join name/value pairs into a raw query string."""
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


def test_the_vector_file_holds_every_vector() -> None:
    assert len(load_vectors()["tests"]) == VECTOR_COUNT


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("index", range(VECTOR_COUNT))
def test_signed_url_vector(index: int) -> None:
    vectors = load_vectors()
    vector = vectors["tests"][index]
    url = urlsplit(vector["signedUrl"])
    base_path = vector.get("addonBaseUrl", "")

    canonical = canonical_request("GET", url.path, url.query, base_path)

    assert canonical == vector["canonicalUrl"], vector["name"]
    token = dict(pair.split("=", 1) for pair in url.query.split("&") if pair)["jwt"]
    claims = jwt.decode(
        token, vectors["secret"], algorithms=["HS256"], options={"verify_exp": False}
    )
    assert claims["qsh"] == query_string_hash("GET", url.path, url.query, base_path)


def test_known_hash_of_a_simple_request() -> None:
    # The qsh Atlassian's own signer put in the token for GET /test?param=value.
    expected = "be16910858a41fd19ea5c1b4e9decca9a784d1024cb00b2158defe2f29dc86dd"

    assert query_string_hash("get", "/test", "param=value&jwt=anything") == expected


@pytest.mark.parametrize(
    ("path", "base_path", "expected"),
    [
        ("", "", "/"),
        ("/", "", "/"),
        ("test", "", "/test"),
        ("/test/", "", "/test"),
        ("/base/test", "/base", "/test"),
        ("/base/test", "/base/", "/test"),
        ("/base", "/base", "/"),
        ("/baseline/test", "/base", "/baseline/test"),
        ("/wiki/rest/api/content", "/wiki", "/rest/api/content"),
        ("/wiki/rest", "wiki", "/rest"),
        ("/wiki/rest", "wiki/", "/rest"),
        ("//", "", "/"),
        ("/a&b", "", "/a%26b"),
        ("/caf%C3%A9", "", "/caf%C3%A9"),
    ],
)
def test_canonical_path(path: str, base_path: str, expected: str) -> None:
    assert canonical_path(path, base_path) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("jwt=abc", ""),
        ("flag", "flag="),
        ("a=1&&b=2", "a=1&b=2"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("&a=1", "a=1"),
        ("b=2&a=1&jwt=abc", "a=1&b=2"),
        # Whatever stands after the token is covered too: nothing can be added unsigned there.
        ("jwt=abc&b=2&a=1", "a=1&b=2"),
        ("a=1&jwt=abc&b=2", "a=1&b=2"),
        ("q=a*b", "q=a%2Ab"),
        ("q=%7e", "q=~"),
        ("a+b=c", "a%20b=c"),
        ("a=%2", "a=%252"),
    ],
)
def test_canonical_query(query: str, expected: str) -> None:
    assert canonical_query(query) == expected


def test_repeated_values_sort_like_java_strings() -> None:
    # U+1F600 is a surrogate pair in UTF-16 and sorts before U+E000 there, though after it by
    # code point; Atlassian's reference implementation sorts by UTF-16.
    query = "v=%EE%80%80&v=%F0%9F%98%80"

    assert canonical_query(query) == "v=%F0%9F%98%80,%EE%80%80"


def test_repeated_values_that_are_not_utf8_still_sort() -> None:
    # Malformed UTF-8 sorts by its replacement characters, then by the raw bytes.
    assert canonical_query("v=%FF&v=%FE&v=a") == "v=a,%FE,%FF"


def test_method_is_upper_cased() -> None:
    assert canonical_request("post", "/installed", "") == "POST&/installed&"


def test_qsh_for_url_strips_the_product_base_path() -> None:
    url = "https://example.atlassian.net/wiki/rest/api/content?limit=10&expand=body.storage"

    assert qsh_for_url("GET", url, "https://example.atlassian.net/wiki") == query_string_hash(
        "GET", "/rest/api/content", "expand=body.storage&limit=10"
    )


def test_qsh_for_url_with_a_root_base_url() -> None:
    url = "https://example.atlassian.net/rest/api/3/myself"

    assert qsh_for_url("GET", url, "https://example.atlassian.net") == query_string_hash(
        "GET", "/rest/api/3/myself", ""
    )


def test_a_different_path_gives_a_different_hash() -> None:
    assert query_string_hash("GET", "/timesheet", "a=1") != query_string_hash(
        "GET", "/admin", "a=1"
    )


@given(pairs=st.lists(st.tuples(parameter_names, any_text), max_size=6), data=st.data())
def test_parameter_order_never_changes_the_hash(
    pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(pairs))

    assert query_string_hash("GET", "/p", build_query(shuffled)) == query_string_hash(
        "GET", "/p", build_query(pairs)
    )


@given(name=parameter_names, words=st.lists(any_text, min_size=2, max_size=4))
def test_plus_and_percent_20_both_mean_a_space(name: str, words: list[str]) -> None:
    encoded_words = [quote(word, safe="") for word in words]
    with_plus = f"{quote(name, safe='')}={'+'.join(encoded_words)}"
    with_percent = f"{quote(name, safe='')}={'%20'.join(encoded_words)}"

    assert canonical_query(with_plus) == canonical_query(with_percent)
    assert canonical_query(with_plus) == f"{quote(name, safe='')}={quote(' '.join(words), safe='')}"


@given(name=parameter_names, left=any_text, right=any_text)
def test_percent_2b_stays_a_plus(name: str, left: str, right: str) -> None:
    encoded_name = quote(name, safe="")
    value = f"{quote(left, safe='')}%2B{quote(right, safe='')}"

    assert canonical_query(f"{encoded_name}={value}") == f"{encoded_name}={value}"
    assert query_string_hash("GET", "/p", f"{encoded_name}={value}") != query_string_hash(
        "GET", "/p", f"{encoded_name}={value.replace('%2B', '+')}"
    )


@given(
    name=parameter_names,
    values=st.lists(any_text, min_size=2, max_size=5, unique=True),
    data=st.data(),
)
def test_repeated_parameters_keep_every_value(
    name: str, values: list[str], data: st.DataObject
) -> None:
    dropped = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    fewer = values[:dropped] + values[dropped + 1 :]

    full_hash = query_string_hash("GET", "/p", build_query([(name, v) for v in values]))
    fewer_hash = query_string_hash("GET", "/p", build_query([(name, v) for v in fewer]))

    assert full_hash != fewer_hash
