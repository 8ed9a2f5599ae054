"""Backups in Azure Blob Storage (Azurite here), through the same commands as the local directory.

``create`` uploads the encrypted file, and ``list``, ``prune``, ``restore`` and ``verify`` treat
the container exactly as the local directory: the same names, retention decisions and checks.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from atlassian_connect_kit.backup.azure_blob import (
    AzureBlobTarget,
    container_client,
    describe_error,
)
from atlassian_connect_kit.backup.fileformat import backup_keyring, open_backup
from atlassian_connect_kit.backup.naming import backup_name, created_at_of
from atlassian_connect_kit.backup.operations import create_backup
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import SettingsError, load_settings
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from tests.blocked_imports import run_ack_without
from tests.kit.backup.azurite import ACCOUNT, Azurite
from tests.kit.operator import Site, comparable, fresh_site, one_line_error, synthetic_secret

NOW = "2026-11-27T12:00:00Z"
START = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)


def use_container(site: Site, azurite: Azurite, container: str, *, sas: str = "", **more: str):
    """Point the site at ``container`` (with a SAS, or the account's connection string)."""
    settings = {"ack.dev_mode": "true", "ack.backup.azure.container": container, **more}
    if sas:
        settings["ack.backup.azure.account_url"] = azurite.account_url
        settings["ack.backup.azure.sas_token"] = sas
    else:
        settings["ack.backup.azure.connection_string"] = azurite.connection_string
    site.write(**settings)
    return f"azure:{azurite.account_url}/{container}"


def blobs(azurite: Azurite, container: str) -> dict[str, bytes]:
    client = azurite.service().get_container_client(container)
    return {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}


def test_create_uploads_the_encrypted_file_under_a_name_without_tenant_data(site, azurite):
    container = azurite.new_container()
    label = use_container(site, azurite, container)
    site.install([1, 2])
    result = site.ack("backup", "create", "--now", NOW)
    assert result.status == 0, result.err
    assert result.out.rstrip().endswith(f"on local:{site.backup_dir}, {label}")
    stored = blobs(azurite, container)
    assert list(stored) == site.backups() == ["ack-backup-20261127T120000Z.ackb"]
    (name, data), local = next(iter(stored.items())), (site.backup_dir / site.backups()[0])
    assert data == local.read_bytes()
    for secret_or_key in (synthetic_secret(1), "jira:1", "site-1.atlassian.net"):
        assert secret_or_key.encode() not in data
    manifest = open_backup(data, backup_keyring(site.settings()), label=name).manifest
    assert manifest.row_counts == {"ack_tenants": 2, "ack_forge_installations": 0}
    properties = azurite.service().get_blob_client(container, name).get_blob_properties()
    assert properties.content_settings.content_type == "application/octet-stream"
    assert properties.content_settings.content_md5 is not None  # checked by the service


def test_prune_list_and_verify_treat_the_container_as_the_local_directory(site, azurite):
    container = azurite.new_container()
    label = use_container(site, azurite, container)
    site.install([1])
    settings, pm = site.settings(), make_plugin_manager(())
    for day in range(40):
        create_backup(settings, pm, now=START + dt.timedelta(days=day))
    now = (START + dt.timedelta(days=39, hours=1)).isoformat()

    pruned = site.ack("backup", "prune", "--now", now)
    assert pruned.status == 0, pruned.err
    # The removal journal's own line closes the output; the targets' parts come before it.
    per_target, journal = pruned.out.rstrip("\n").rsplit("\n", 1)
    assert journal.startswith("removal journal: ")
    local_part, azure_part = per_target.split(f"{label}: ")
    assert local_part.startswith(f"local:{site.backup_dir}: keeping 35, deleted 5")
    assert azure_part.startswith("keeping 35, deleted 5")
    assert local_part.splitlines()[1:] == azure_part.splitlines()[1:], "the same decisions"
    assert sorted(blobs(azurite, container)) == site.backups()
    assert len(site.backups()) == 35

    listed = site.ack("backup", "list", "--now", now)
    assert listed.status == 0, listed.err
    local_list, azure_list = listed.out.split(f"{label}: ")
    assert azure_list.splitlines()[0] == "35 backups"
    assert local_list.splitlines()[1:] == azure_list.splitlines()[1:]

    verified = site.ack("backup", "verify", "--now", now)
    assert verified.status == 0, verified.err
    assert f"ok: {label}: 35 kept backups, all authentic" in verified.out
    assert f"ok: {label}: restore drill of {backup_name(START + dt.timedelta(days=39))}" in (
        verified.out
    )


def test_with_only_the_container_a_lost_machine_is_restored_from_it(site, azurite):
    container = azurite.new_container()
    sas = azurite.container_sas(container, "racwdl")
    label = use_container(site, azurite, container, sas=sas, **{"ack.backup.dir": ""})
    site.install([1, 2, 3])
    created = site.ack("backup", "create", "--now", NOW)
    assert created.status == 0, created.err
    assert created.out.rstrip().endswith(f"on {label}")
    assert not site.backup_dir.exists()

    recovered = fresh_site(site, "recovered")
    use_container(recovered, azurite, container, sas=sas, **{"ack.backup.dir": ""})
    restored = recovered.ack("backup", "restore", "ack-backup-20261127T120000Z.ackb")
    assert restored.status == 0, restored.err
    assert comparable(recovered.tenants()) == comparable(site.tenants())
    assert recovered.ack("backup", "verify", "--now", NOW).status == 0


def test_verify_and_list_name_a_damaged_blob(site, azurite):
    container = azurite.new_container()
    label = use_container(site, azurite, container, **{"ack.backup.dir": ""})
    site.install([1])
    site.ack("backup", "create", "--now", "2026-11-26T12:00:00Z")
    site.ack("backup", "create", "--now", NOW)
    older = "ack-backup-20261126T120000Z.ackb"
    blob = azurite.service().get_blob_client(container, older)
    blob.upload_blob(blob.download_blob().readall()[:-5], overwrite=True)

    error = one_line_error(site.ack("backup", "verify", "--now", NOW))
    assert label in error and older in error
    listed = site.ack("backup", "list", "--now", NOW)
    assert re.search(rf"2026-11-26T12:00:00Z .* UNREADABLE: {re.escape(older)}", listed.out)


def test_blob_names_are_never_overwritten_and_absent_names_are_file_errors(azurite):
    container = azurite.new_container()
    target = AzureBlobTarget(azurite.service().get_container_client(container))
    target.write("ack-backup-20261127T120000Z.ackb", b"first")
    with pytest.raises(FileExistsError, match="BlobAlreadyExists"):
        target.write("ack-backup-20261127T120000Z.ackb", b"second")
    assert target.read("ack-backup-20261127T120000Z.ackb") == b"first"
    azurite.service().get_blob_client(container, "elsewhere/ack-backup.ackb").upload_blob(b"x")
    assert [(f.name, f.size) for f in target.list()] == [("ack-backup-20261127T120000Z.ackb", 5)]
    with pytest.raises(FileNotFoundError):
        target.read("ack-backup-20261128T120000Z.ackb")
    with pytest.raises(FileNotFoundError):
        target.delete("ack-backup-20261128T120000Z.ackb")
    with pytest.raises(ValueError, match="not a valid backup file name"):
        target.write("../escape.ackb", b"x")
    target.delete("ack-backup-20261127T120000Z.ackb")
    assert target.list() == []
    assert created_at_of("ack-backup-20261127T120000Z.ackb") is not None


def test_a_sas_without_write_rights_fails_the_backup_without_showing_the_token(site, azurite):
    container = azurite.new_container()
    sas = azurite.container_sas(container, "rl")
    label = use_container(site, azurite, container, sas=sas)
    site.install([1])
    result = site.ack("backup", "create", "--now", NOW)
    error = one_line_error(result)
    assert f"not written to {label} ({label}: cannot upload" in error
    assert "check the SAS or role" in error
    signature = re.search(r"sig=([^&]+)", sas).group(1)
    assert signature not in result.out + result.err
    assert site.backups() == ["ack-backup-20261127T120000Z.ackb"], "the local copy is kept"


def test_a_container_that_does_not_exist_is_named(site, azurite):
    label = use_container(site, azurite, "not-created-yet")
    error = one_line_error(site.ack("backup", "list"))
    assert (
        error == f"ack: error: {label}: cannot list: the container does not exist; create it first"
    )


def test_an_unreachable_endpoint_fails_in_one_line_within_seconds(site):
    site.write(
        **{
            **TEST_APP_IDENTITY,
            "ack.dev_mode": "true",
            "ack.backup.dir": "",
            "ack.backup.azure.account_url": f"http://127.0.0.1:9/{ACCOUNT}",
            "ack.backup.azure.container": "backups",
            "ack.backup.azure.sas_token": "sv=2025-01-05&sig=secret-signature",
        }
    )
    started = time.monotonic()
    error = one_line_error(site.ack("backup", "list"))
    assert time.monotonic() - started < 30
    assert f"azure:http://127.0.0.1:9/{ACCOUNT}/backups: cannot list: ServiceRequestError" in error
    assert "secret-signature" not in error

    # A key rotation still succeeds, and says it could not check the unreachable backups.
    site.install([1])
    site.encryption_keys = f"{generate_key_line('k2')} {site.encryption_keys}"
    site.write(**{"ack.encryption_keys": site.encryption_keys})
    rotated = site.ack("keys", "rotate")
    assert rotated.status == 0, rotated.err
    assert f"cannot check azure:http://127.0.0.1:9/{ACCOUNT}/backups: cannot list" in rotated.out
    assert "keep the retired keys k1 in ack.encryption_keys until every backup" in rotated.out


CONTAINER = {"ack.backup.azure.container": "backups"}


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {**CONTAINER, "ack.backup.azure.account_url": "http://127.0.0.1:10000/a"},
            "ack.backup.azure.account_url: must use https outside dev mode",
        ),
        (
            {
                **CONTAINER,
                "ack.dev_mode": "true",
                "ack.backup.azure.account_url": "http://storage.example.com/a",
            },
            "ack.backup.azure.account_url: http is only allowed for localhost",
        ),
        (
            {
                **CONTAINER,
                "ack.backup.azure.connection_string": "x",
                "ack.backup.azure.sas_token": "sig=1",
            },
            "ack.backup.azure.connection_string: set either it or ack.backup.azure.account_url",
        ),
        ({**CONTAINER, "ack.backup.azure.sas_token": "sig=1"}, "ack.backup.azure.sas_token: needs"),
        (CONTAINER, "ack.backup.azure.container: needs ack.backup.azure.account_url"),
        (
            {"ack.backup.azure.account_url": "https://a.blob.core.windows.net"},
            "ack.backup.azure.container: is required",
        ),
        (
            {
                "ack.backup.azure.account_url": "https://a.blob.core.windows.net",
                "ack.backup.azure.container": "Backups_2026",
            },
            "ack.backup.azure.container: must be 3 to 63 lower-case letters",
        ),
    ],
)
def test_settings_that_do_not_fit_together_are_refused(settings, problem):
    with pytest.raises(SettingsError) as raised:
        load_settings(settings, environ={}, require_base_url=False)
    assert str(raised.value).startswith(problem)
    assert "sig=1" not in str(raised.value)


def test_a_connection_string_to_plain_http_is_refused_outside_dev_mode(azurite):
    settings = load_settings(
        {
            "ack.backup.azure.connection_string": azurite.connection_string,
            "ack.backup.azure.container": "backups",
        },
        environ={},
        require_base_url=False,
    )
    with pytest.raises(SettingsError, match="the storage endpoint must use https") as raised:
        container_client(settings)
    assert "AccountKey" not in str(raised.value)


def test_an_account_url_alone_signs_in_with_the_default_azure_credential():
    pytest.importorskip("azure.identity", reason="azure-identity ([azure]) is not installed")
    from azure.identity import DefaultAzureCredential

    settings = load_settings(
        {
            "ack.backup.azure.account_url": "https://ackbackups.blob.core.windows.net",
            "ack.backup.azure.container": "backups",
        },
        environ={},
        require_base_url=False,
    )
    client = container_client(settings)  # nothing is requested until the first operation
    assert isinstance(client.credential, DefaultAzureCredential)
    assert AzureBlobTarget(client).label == "azure:https://ackbackups.blob.core.windows.net/backups"


@pytest.mark.parametrize(
    ("blocked", "settings", "expected"),
    [
        (
            "azure.storage.blob",
            {"ack.backup.azure.sas_token": "sig=1"},
            "ack: error: the Azure Blob backup target needs azure-storage-blob, which is not "
            "installed; pip install 'atlassian-connect-kit[azure]'",
        ),
        (
            "azure.identity",
            {},
            "ack: error: ack.backup.azure.account_url without a sas_token signs in with a "
            "Microsoft Entra identity, which needs azure-identity; "
            "pip install 'atlassian-connect-kit[azure]'",
        ),
    ],
    ids=["azure-storage-blob", "azure-identity"],
)
def test_a_missing_azure_package_is_named_in_one_line(site, blocked, settings, expected):
    site.write(
        **{
            "ack.backup.azure.account_url": "https://ackbackups.blob.core.windows.net",
            "ack.backup.azure.container": "backups",
            **settings,
        }
    )
    result = run_ack_without(site.root, {blocked: None}, "backup", "list", "-c", str(site.ini))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [expected]


def test_an_error_message_never_shows_a_url_query_where_a_sas_travels():
    from azure.core.exceptions import ServiceRequestError

    error = ServiceRequestError(
        "HTTPSConnectionPool(host='ackbackups.blob.core.windows.net', port=443): Max retries "
        "exceeded with url: /backups?restype=container&comp=list&sv=2025-01-05&sig=c2VjcmV0%3D "
        "(Caused by NameResolutionError('failed'))\nsecond line"
    )
    described = describe_error(error)
    assert described == (
        "ServiceRequestError: HTTPSConnectionPool(host='ackbackups.blob.core.windows.net', "
        "port=443): Max retries exceeded with url: /backups?… (Caused by "
        "NameResolutionError('failed'))"
    )
