"""A trusted proxy's X-Forwarded-Proto, applied by the app for servers that do not apply it."""

import pytest
from webtest import TestApp

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.security.forwarded import MAX_REMEMBERED_PEERS, ForwardedProto
from atlassian_connect_kit.settings import SettingsError, load_settings
from tests.kit.security.production import production_settings


def forwarded(allowed, remote_addr, header, scheme="http"):
    environ = {"wsgi.url_scheme": scheme, "REMOTE_ADDR": remote_addr}
    if header is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = header
    ForwardedProto(allowed).apply(environ)
    return environ


def test_a_trusted_proxy_s_https_becomes_the_request_s_scheme():
    assert forwarded(["127.0.0.1"], "127.0.0.1", "https")["wsgi.url_scheme"] == "https"
    assert forwarded(["10.0.0.0/8"], "10.1.2.3", "HTTPS")["wsgi.url_scheme"] == "https"
    assert forwarded(["::1"], "::1", "https")["wsgi.url_scheme"] == "https"
    assert forwarded(["*"], "203.0.113.9", "https")["wsgi.url_scheme"] == "https"
    # An IPv4 peer seen through an IPv6 socket is still that peer.
    assert forwarded(["127.0.0.1"], "::ffff:127.0.0.1", "https")["wsgi.url_scheme"] == "https"


def test_the_last_hop_s_value_counts():
    # A client can send its own header; the trusted proxy appends what it saw.
    assert forwarded(["127.0.0.1"], "127.0.0.1", "https, http")["wsgi.url_scheme"] == "http"
    assert forwarded(["127.0.0.1"], "127.0.0.1", "http, https")["wsgi.url_scheme"] == "https"


def test_an_untrusted_peer_s_header_is_removed_and_changes_nothing():
    environ = forwarded(["10.0.0.0/8"], "127.0.0.1", "https")
    assert environ["wsgi.url_scheme"] == "http"
    assert "HTTP_X_FORWARDED_PROTO" not in environ
    environ = forwarded(["127.0.0.1"], "", "https")
    assert environ["wsgi.url_scheme"] == "http"
    assert "HTTP_X_FORWARDED_PROTO" not in environ


def test_each_peer_keeps_its_own_verdict_however_many_peers_are_seen():
    proxy = ForwardedProto(["10.0.0.0/24"])
    # More peers than the verdicts remembered: asked twice each, in an order that makes the
    # memory start over in between, every answer is the network's.
    peers = [f"10.0.{block}.{host}" for block in range(4) for host in range(256)]
    peers += [f"192.0.2.{host}" for host in range(256)] * 2
    assert len(set(peers)) > MAX_REMEMBERED_PEERS
    for _ in range(2):
        for peer in peers:
            assert proxy.trusts(peer) is peer.startswith("10.0.0."), peer
    assert proxy.trusts("not an address") is False
    assert proxy.trusts("not an address") is False


def test_a_value_other_than_http_or_https_is_ignored():
    assert forwarded(["127.0.0.1"], "127.0.0.1", "ftp")["wsgi.url_scheme"] == "http"
    assert forwarded(["127.0.0.1"], "127.0.0.1", "")["wsgi.url_scheme"] == "http"


def test_without_the_setting_the_server_s_scheme_stands():
    environ = forwarded([], "127.0.0.1", "https")
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["HTTP_X_FORWARDED_PROTO"] == "https"  # left to the server, as before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("127.0.0.1, ::1", ("127.0.0.1", "::1")),
        ("10.0.0.0/8 192.168.1.7", ("10.0.0.0/8", "192.168.1.7")),
        ("*", ("*",)),
    ],
)
def test_the_setting_takes_addresses_networks_or_a_star(tmp_path, value, expected):
    settings = load_settings(
        production_settings(tmp_path, **{"ack.forwarded_allow_ips": value}), environ={}
    )
    assert settings.forwarded_allow_ips == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("localhost", "not an IP address or network: 'localhost'"), ("* 10.0.0.1", "'*'")],
)
def test_a_bad_setting_names_itself(tmp_path, value, reason):
    with pytest.raises(SettingsError) as raised:
        load_settings(
            production_settings(tmp_path, **{"ack.forwarded_allow_ips": value}), environ={}
        )
    assert "ack.forwarded_allow_ips" in str(raised.value)
    assert reason in str(raised.value)


def test_the_app_serves_a_trusted_proxy_s_https_request_and_refuses_anyone_else_s(tmp_path):
    settings = production_settings(tmp_path, **{"ack.forwarded_allow_ips": "127.0.0.1"})
    app = TestApp(make_app(settings))
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    headers = {"X-Forwarded-Proto": "https"}
    response = app.get("/atlassian-connect.json", headers=headers, extra_environ=proxied)
    assert response.status_int == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")

    stranger = {"REMOTE_ADDR": "198.51.100.7"}
    refused = app.get("/atlassian-connect.json", headers=headers, extra_environ=stranger)
    assert refused.status_int == 308
    assert refused.headers["Location"] == "https://app.example.com/atlassian-connect.json"
