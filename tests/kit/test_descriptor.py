import json

import jsonschema
import pytest

from atlassian_connect_kit.descriptor import (
    DescriptorError,
    build_descriptor,
    merge_fragments,
    render_template,
    validate_descriptor,
)
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from tests.shared_data import shared_path


def _descriptor(plugins=("smart_timesheet",), base_url="https://acme.example.com"):
    settings = load_settings(
        {**TEST_APP_IDENTITY, "ack.base_url": base_url, "ack.plugins": " ".join(plugins)},
        environ={},
    )
    return build_descriptor(settings, make_plugin_manager(settings.plugins))


def _atlassian_validator():
    schema = json.loads(shared_path("reference", "jira-connect-descriptor-schema.json").read_text())
    # The 2019 schema predates the signed-install and context-qsh migrations: allow exactly those.
    migrations = schema["properties"]["apiMigrations"]["properties"]
    migrations["signed-install"] = {"type": "boolean"}
    migrations["context-qsh"] = {"type": "boolean"}
    return jsonschema.Draft4Validator(schema)


def test_rendered_descriptor_carries_the_contract_fields():
    descriptor = _descriptor()
    assert descriptor["baseUrl"] == "https://acme.example.com"
    assert descriptor["authentication"] == {"type": "jwt"}
    assert descriptor["lifecycle"]["installed"] == "/installed"
    assert descriptor["lifecycle"]["uninstalled"] == "/uninstalled"
    assert descriptor["apiMigrations"] == {"signed-install": True, "context-qsh": True}
    # WRITE and DELETE: the Timesheet keeps saved reports in Jira properties.
    assert descriptor["scopes"] == ["ACT_AS_USER", "DELETE", "READ", "WRITE"]
    [page] = descriptor["modules"]["generalPages"]
    assert page["url"].startswith("/timesheet")
    [project_page] = descriptor["modules"]["jiraProjectPages"]
    assert project_page["url"] == "/timesheet?project={project.key}"


@pytest.mark.parametrize("plugins", [("smart_timesheet",), ()])
def test_rendered_descriptor_validates_against_atlassians_schema(plugins):
    validator = _atlassian_validator()
    errors = sorted(validator.iter_errors(_descriptor(plugins)), key=str)
    assert errors == []


def test_the_schema_check_catches_an_unknown_api_migration():
    descriptor = _descriptor()
    descriptor["apiMigrations"]["made-up"] = True
    assert list(_atlassian_validator().iter_errors(descriptor))


def test_core_alone_has_no_timesheet_module():
    descriptor = _descriptor(plugins=())
    assert "timesheet" not in json.dumps(descriptor["modules"])


def test_unknown_placeholder_is_an_error_naming_it():
    with pytest.raises(DescriptorError, match=r"\{\{vendor_phone\}\}"):
        render_template('{"key": "{{vendor_phone}}"}', {"app_key": "x"})


def test_placeholder_values_are_json_escaped():
    document = render_template('{"name": "{{app_name}}"}', {"app_name": 'Say "hi"\\'})
    assert document["name"] == 'Say "hi"\\'


def test_fragments_concatenate_modules_and_union_scopes():
    base = {"modules": {"generalPages": [{"key": "a", "url": "/a"}]}, "scopes": ["read"]}
    merged = merge_fragments(
        base,
        [
            (
                "one",
                {"modules": {"generalPages": [{"key": "b", "url": "/b"}]}, "scopes": ["WRITE"]},
            ),
            ("two", {"modules": {"webItems": [{"key": "c", "url": "/c"}]}, "scopes": ["READ"]}),
        ],
    )
    assert [m["key"] for m in merged["modules"]["generalPages"]] == ["a", "b"]
    assert [m["key"] for m in merged["modules"]["webItems"]] == ["c"]
    assert merged["scopes"] == ["READ", "WRITE"]
    assert merged["apiMigrations"] == {"signed-install": True, "context-qsh": True}


VALID = {
    "key": "k",
    "name": "n",
    "baseUrl": "https://a.example.com",
    "authentication": {"type": "jwt"},
    "lifecycle": {"installed": "/installed"},
    "scopes": ["READ"],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"modules": {"generalPages": [{"key": "Bad_Key", "url": "/x"}]}}, "must match"),
        ({"modules": {"generalPages": [{"key": "a", "url": "https://evil/x"}]}}, "relative"),
        (
            {"modules": {"generalPages": [{"key": "a", "url": "/x"}], "webItems": [{"key": "a"}]}},
            "used twice",
        ),
        ({"baseUrl": "http://a.example.com"}, "https"),
        ({"key": ""}, "'key'"),
        ({"scopes": ["EVERYTHING"]}, "scope"),
    ],
)
def test_validation_rules(change, message):
    with pytest.raises(DescriptorError, match=message):
        validate_descriptor({**VALID, **change}, dev_mode=False)


def test_the_timesheet_pages_are_offered_to_signed_in_users_only():
    descriptor = _descriptor()
    for module_type in ("generalPages", "jiraProjectPages"):
        [page] = descriptor["modules"][module_type]
        assert page["conditions"] == [{"condition": "user_is_logged_in"}], module_type
