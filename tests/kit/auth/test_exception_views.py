"""The kit's exception views answer their own exceptions only; any other error stays itself."""

import logging

import pytest
from webtest import TestApp

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from tests.kit.failing_view import FailingView


@pytest.fixture
def app(tmp_path):
    settings = {
        **TEST_APP_IDENTITY,
        "ack.dev_mode": "true",
        "ack.base_url": "http://localhost:6543",
        "ack.encryption_keys": generate_key_line(),
        "sqlalchemy.url": f"sqlite:///{tmp_path}/a.sqlite",
        "here": str(tmp_path),
    }
    return TestApp(
        make_app(
            settings, extra_plugins=[FailingView("/failing", LookupError("the disk is on fire"))]
        )
    )


def test_an_unexpected_error_reaches_the_log_as_itself(app, caplog):
    # The sign-in, refusal and lifecycle answers each belong to one exception type: were one of
    # them to take every error, the operator's log would show its failure to read an attribute
    # the error lacks, not the error itself.
    caplog.set_level(logging.ERROR)
    response = app.get("/failing", status=500)
    assert response.json == {"error": "internal error"}
    logged = [r for r in caplog.records if "unexpected error answering GET /failing" in r.message]
    assert len(logged) == 1
    kind, error, _ = logged[0].exc_info
    assert kind is LookupError
    assert str(error) == "the disk is on fire"
