"""The kit's exception views answer their own exceptions only; any other error stays itself."""

import logging

import pytest
from webtest import TestApp

from atlassian_connect_kit.config import make_app
from tests.kit.dev_settings import dev_settings
from tests.kit.failing_view import FailingView


@pytest.fixture
def app(tmp_path):
    failing = FailingView("/failing", LookupError("the disk is on fire"))
    return TestApp(make_app(dev_settings(tmp_path), extra_plugins=[failing]))


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
