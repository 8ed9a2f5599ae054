"""Backups in an Azure Blob Storage container: the off-site copy, through ``ack_backup_targets``.

Enabled by the ``ack.backup.azure.*`` settings (see docs/backups.md): an account URL with a SAS
token, an account URL alone (a managed identity or other Microsoft Entra identity, through
azure-identity's ``DefaultAzureCredential``), or a connection string. The container must exist.
Each backup is one block blob named like the local file (``ack-backup-<UTC time>.ackb``, no
tenant data in it); the commands treat the container exactly like the local directory, so it is
pruned by the same retention rules and every kept blob is read and authenticated by ``verify``.

A blob is uploaded in one request (or committed as one block list when larger than a request),
so a reader sees all of it or nothing, and never over an existing name. Uploads and downloads
carry an MD5 of their content that the service and the client check, on top of the backup
file's own authentication.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from atlassian_connect_kit.backup.fileformat import BackupError
from atlassian_connect_kit.backup.targets import StoredFile, check_name
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.settings import LOCAL_HOSTS, SettingsError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

    from atlassian_connect_kit.backup.targets import BackupTarget
    from atlassian_connect_kit.settings import Settings

INSTALL_HINT = "pip install 'atlassian-connect-kit[azure]'"
"""What to install for this target (azure-storage-blob, and azure-identity for identities)."""

ATTEMPTS = 3
"""Tries per request before an operation fails."""

FIRST_RETRY_SECONDS = 2
"""The wait before the first retry; each later one waits twice as long again (2 s, then 4 s).

The SDK's defaults (ten tries, from 15 s) would hold a failing scheduled job for minutes."""

CONNECTION_TIMEOUT_SECONDS = 20
"""How long connecting to the storage endpoint may take."""

READ_TIMEOUT_SECONDS = 120
"""How long the endpoint may stay silent during a request."""

_SPACE = re.compile(r"\s+")
_QUERY = re.compile(r"\?[^\s'\")]+")


class AzureBlobTarget:
    """Backup files as block blobs in one container of Azure Blob Storage."""

    def __init__(self, container: ContainerClient) -> None:
        """Keep backups in ``container`` (a ``ContainerClient``; the container must exist)."""
        self.container = container
        self.label = f"azure:{_without_query(container.url)}"

    def write(self, name: str, data: bytes) -> None:
        """Upload ``data`` as a new blob ``name``; ``FileExistsError`` if the name is taken."""
        from azure.storage.blob import ContentSettings

        with self._errors("upload", check_name(name)):
            self.container.upload_blob(
                name,
                data,
                overwrite=False,
                validate_content=True,
                content_settings=ContentSettings(content_type="application/octet-stream"),
            )

    def list(self) -> list[StoredFile]:
        """Return the container's blobs that could be backup files (no folders), with sizes."""
        with self._errors("list", None):
            return [
                StoredFile(blob.name, int(blob.size or 0))
                for blob in self.container.list_blobs()
                if _is_plain_name(blob.name)
            ]

    def read(self, name: str) -> bytes:
        """Download blob ``name``; ``FileNotFoundError`` when absent."""
        with self._errors("download", check_name(name)):
            return self.container.download_blob(name, validate_content=True).readall()

    def delete(self, name: str) -> None:
        """Delete blob ``name`` (and its snapshots); ``FileNotFoundError`` when absent."""
        with self._errors("delete", check_name(name)):
            self.container.delete_blob(name, delete_snapshots="include")

    @contextmanager
    def _errors(self, operation: str, name: str | None) -> Iterator[None]:
        """Re-raise the SDK's errors as ``OSError``s the backup commands report in one line."""
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceExistsError,
            ResourceNotFoundError,
        )

        subject = f"{self.label}: cannot {operation}" + (f" {name}" if name else "")
        try:
            yield
        except ClientAuthenticationError as error:
            if error.response is None:  # the identity got no token: no request was made
                raise PermissionError(f"{subject}: {describe_error(error)}") from None
            raise PermissionError(f"{subject}: {_code(error)} (check the SAS or role)") from None
        except HttpResponseError as error:
            code = _code(error)
            if code == "ContainerNotFound":
                raise OSError(f"{subject}: the container does not exist; create it first") from None
            if isinstance(error, ResourceExistsError):
                raise FileExistsError(f"{subject}: {code}") from None
            if isinstance(error, ResourceNotFoundError):
                raise FileNotFoundError(f"{subject}: {code}") from None
            if error.status_code == 403:
                raise PermissionError(f"{subject}: {code} (check the SAS or role)") from None
            raise OSError(f"{subject}: {code}") from None
        except AzureError as error:  # no answer: DNS, refused connection, timeout, identity
            raise ConnectionError(f"{subject}: {describe_error(error)}") from None

    def __repr__(self) -> str:
        """Name the container (never a credential)."""
        return f"AzureBlobTarget({self.label!r})"


def _is_plain_name(name: str) -> bool:
    try:
        check_name(name)
    except ValueError:
        return False
    return True


def _without_query(url: str) -> str:
    # A SAS travels in the query string: never show it.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _code(error: Any) -> str:
    """The storage error code (``BlobAlreadyExists``, ...) or, lacking one, the HTTP status."""
    return str(error.error_code or error.status_code or "error")


def describe_error(error: BaseException) -> str:
    """The error's type and first line, with any URL query (where a SAS travels) hidden."""
    text = str(error).strip().splitlines()
    summary = _QUERY.sub("?…", _SPACE.sub(" ", text[0]))[:200] if text else ""
    return f"{type(error).__name__}: {summary}" if summary else type(error).__name__


def container_client(settings: Settings) -> ContainerClient:
    """Build the client of the configured container, signing in as the settings say.

    A connection string, or the account URL with a SAS token, or the account URL alone with
    ``DefaultAzureCredential``. The endpoint must use https, except on this machine in dev mode.
    """
    try:
        from azure.storage.blob import BlobServiceClient, ExponentialRetry
    except ImportError:
        raise BackupError(
            f"the Azure Blob backup target needs azure-storage-blob, which is not installed; "
            f"{INSTALL_HINT}"
        ) from None
    options: dict[str, Any] = {
        "retry_policy": ExponentialRetry(
            initial_backoff=FIRST_RETRY_SECONDS,
            increment_base=2,
            retry_total=ATTEMPTS - 1,
            random_jitter_range=1,
        ),
        "connection_timeout": CONNECTION_TIMEOUT_SECONDS,
        "read_timeout": READ_TIMEOUT_SECONDS,
    }
    if settings.backup_azure_connection_string:
        setting = "ack.backup.azure.connection_string"
        try:
            service = BlobServiceClient.from_connection_string(
                settings.backup_azure_connection_string, **options
            )
        except ValueError:
            # The SDK's message may quote the string, which holds the account key.
            raise SettingsError(setting, "is not a valid storage connection string") from None
    else:
        setting = "ack.backup.azure.account_url"
        credential: Any = settings.backup_azure_sas_token or _default_credential()
        service = BlobServiceClient(settings.backup_azure_account_url, credential, **options)
    _check_endpoint(setting, service.url, dev_mode=settings.dev_mode)
    return service.get_container_client(settings.backup_azure_container)


def _default_credential() -> Any:
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise BackupError(
            "ack.backup.azure.account_url without a sas_token signs in with a Microsoft Entra "
            f"identity, which needs azure-identity; {INSTALL_HINT}"
        ) from None
    return DefaultAzureCredential()


def _check_endpoint(setting: str, url: str, *, dev_mode: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if not (dev_mode and parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS):
        raise SettingsError(
            setting, "the storage endpoint must use https (http only on this machine in dev mode)"
        )


@hookimpl(trylast=True)
def ack_backup_targets(settings: Settings) -> Sequence[BackupTarget]:
    """The Azure Blob Storage container of ``ack.backup.azure.*``, when configured."""
    if not (settings.backup_azure_account_url or settings.backup_azure_connection_string):
        return []
    return [AzureBlobTarget(container_client(settings))]
