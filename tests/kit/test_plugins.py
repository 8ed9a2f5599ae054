import pytest

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.descriptor import DescriptorError
from atlassian_connect_kit.plugins import (
    DEFAULT_PLUGINS,
    PluginError,
    installed_plugins,
    make_plugin_manager,
)
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


def test_the_timesheet_is_installed_but_not_active_unless_named():
    assert "smart_timesheet" in installed_plugins()
    core_only = make_plugin_manager(())
    names = {name for name, _ in core_only.list_name_plugin()}
    assert names == set(DEFAULT_PLUGINS)
    with_timesheet = make_plugin_manager(("smart_timesheet",))
    assert with_timesheet.has_plugin("smart_timesheet")


def test_an_unknown_plugin_fails_listing_the_installed_ones():
    with pytest.raises(PluginError) as info:
        make_plugin_manager(("no_such_plugin",))
    assert "no_such_plugin" in str(info.value)
    assert "smart_timesheet" in str(info.value)


def test_a_hook_without_a_specification_fails_at_start_up():
    class Misspelled:
        @hookimpl
        def ack_descriptor_fragmnet(self, settings):
            return None

    with pytest.raises(Exception, match="ack_descriptor_fragmnet"):
        make_plugin_manager((), extra_plugins=[Misspelled()])


class _Pages:
    def __init__(self, name, key):
        self.__name__ = name
        self.key = key

    @hookimpl
    def ack_descriptor_fragment(self, settings):
        return {
            "modules": {"generalPages": [{"key": self.key, "name": {"value": "x"}, "url": "/x"}]}
        }


def test_two_plugins_declaring_the_same_module_key_fail_at_start_up_naming_both():
    settings = {
        **TEST_APP_IDENTITY,
        "ack.base_url": "https://app.example.com",
        "ack.encryption_keys": "",
    }
    with pytest.raises(DescriptorError) as info:
        make_app(
            settings,
            extra_plugins=[_Pages("first_addon", "report"), _Pages("second_addon", "report")],
        )
    assert "first_addon" in str(info.value)
    assert "second_addon" in str(info.value)
