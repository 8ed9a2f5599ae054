"""Backups go to every target; a plugin's target is pruned and verified like the local one."""

import datetime as dt

import pytest

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.backup.fileformat import BackupError
from atlassian_connect_kit.backup.operations import (
    backup_targets,
    create_backup,
    prune_backups,
    verify_backups,
)
from atlassian_connect_kit.backup.targets import (
    BackupTarget,
    LocalDirectoryTarget,
    MemoryTarget,
)
from atlassian_connect_kit.plugins import make_plugin_manager

NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)


class OffSite:
    """A plugin adding an off-site target (in memory here)."""

    __name__ = "off_site"

    def __init__(self):
        self.target = MemoryTarget("blob:backups")

    @hookimpl
    def ack_backup_targets(self, settings):
        return [self.target]


@pytest.fixture
def off_site():
    return OffSite()


@pytest.fixture
def pm(off_site):
    return make_plugin_manager((), extra_plugins=[off_site])


def test_every_backup_goes_to_the_local_directory_and_the_plugin_target(site, off_site, pm):
    site.install([1])
    created = create_backup(site.settings(), pm, now=NOW)
    assert created.targets == (f"local:{site.backup_dir}", "blob:backups")
    assert site.backups() == [created.name]
    assert off_site.target.files[created.name] == (site.backup_dir / created.name).read_bytes()
    labels = [target.label for target in backup_targets(site.settings(), pm)]
    assert labels == [f"local:{site.backup_dir}", "blob:backups"]
    assert all(isinstance(t, BackupTarget) for t in backup_targets(site.settings(), pm))


def test_each_target_is_pruned_on_its_own(site, off_site, pm):
    site.install([1])
    for day in range(40):
        create_backup(site.settings(), pm, now=NOW + dt.timedelta(days=day))
    off_site.target.files.pop(sorted(off_site.target.files)[0])  # the copies differ
    plans = prune_backups(site.settings(), pm, now=NOW + dt.timedelta(days=39), dry_run=False)
    assert [sum(d.keep for d in plan.decisions) for plan in plans] == [36, 36]
    assert len(site.backups()) == 36 and len(off_site.target.files) == 36


def test_verify_notices_an_off_site_copy_that_stopped_updating(site, off_site, pm):
    site.install([1])
    create_backup(site.settings(), pm, now=NOW)
    off_site.target.files.clear()
    later = NOW + dt.timedelta(hours=30)
    # The plugin's upload broke: new backups reach the local directory only.
    create_backup(site.settings(), make_plugin_manager(()), now=later - dt.timedelta(hours=1))
    report = verify_backups(site.settings(), pm, now=later)
    assert report.failures == ["blob:backups: no backups"]


def test_a_target_that_cannot_be_written_fails_the_backup_naming_it(site, off_site, pm):
    site.install([1])
    create_backup(site.settings(), pm, now=NOW)
    off_site.target.files.clear()
    # Same second again: the local directory refuses to overwrite; the other target takes it.
    with pytest.raises(BackupError, match=f"not written to local:{site.backup_dir}"):
        create_backup(site.settings(), pm, now=NOW)
    assert list(off_site.target.files)


def test_no_target_at_all_is_an_error(site):
    site.write(**{"ack.backup.dir": ""})
    with pytest.raises(BackupError, match=r"no backup target: set ack\.backup\.dir"):
        backup_targets(site.settings(), make_plugin_manager(()))


@pytest.mark.parametrize("name", ["../escape.ackb", ".hidden", "a/b", "", "x" * 300])
def test_the_local_directory_refuses_names_that_are_not_plain_files(tmp_path, name):
    target = LocalDirectoryTarget(tmp_path / "backups")
    with pytest.raises(ValueError, match="not a valid backup file name"):
        target.write(name, b"data")
    assert not (tmp_path / "escape.ackb").exists()


def test_the_local_directory_round_trips_and_deletes(tmp_path):
    target = LocalDirectoryTarget(tmp_path / "backups")
    assert target.list() == []
    target.write("a.ackb", b"one")
    with pytest.raises(FileExistsError):
        target.write("a.ackb", b"two")
    assert target.read("a.ackb") == b"one"
    assert [(f.name, f.size) for f in target.list()] == [("a.ackb", 3)]
    target.delete("a.ackb")
    assert target.list() == []
    with pytest.raises(FileNotFoundError):
        target.delete("a.ackb")
