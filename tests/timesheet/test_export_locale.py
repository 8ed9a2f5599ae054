"""The exports are the same for every viewer's locale: points, ISO dates and numeric cells.

The page writes 7,50 and "1. Nov." for a German viewer; a CSV or a workbook is read by programs
and spreadsheets, so it stays machine-readable whoever downloads it and whatever the browser or
Jira says about their language.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
import requests

from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog

GERMAN = "5b10a2844c20165700ede401"
ENGLISH = "5b10a2844c20165700ede402"
FEBRUARY = {"from": "2014-02-01", "to": "2014-02-28", "columns": "week", "tz": "UTC"}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Two viewers who see the same projects, one reading German and one English, and worklogs
    of fractions of an hour (7.5 h, 1.25 h)."""
    users = [
        User(
            GERMAN,
            "Greta Deutsch",
            "greta@example.com",
            "Europe/Berlin",
            project_keys=frozenset({"ALPHA"}),
            locale="de_DE",
        ),
        User(
            ENGLISH,
            "Ellen English",
            "ellen@example.com",
            "Europe/London",
            project_keys=frozenset({"ALPHA"}),
            locale="en_US",
        ),
    ]
    worklogs = [
        Worklog("30001", "20001", GERMAN, datetime(2014, 2, 3, 9, 0, tzinfo=UTC), 27000),
        Worklog("30002", "20001", ENGLISH, datetime(2014, 2, 12, 9, 0, tzinfo=UTC), 4500),
        Worklog("30003", "20001", ENGLISH, datetime(2014, 2, 27, 9, 0, tzinfo=UTC), 1234),
    ]
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha")],
        issues=[Issue("20001", "ALPHA-1", "Build the thing", "Task", "ALPHA")],
        worklogs=worklogs,
    )


def download(server, fake_jira, app, kind, viewer, *, language=None, loc=None):
    """An export as the page's link fetches it (token in ``jwt``), as ``viewer``; ``language``
    and ``loc`` add what a German browser and Jira's iframe URL would carry."""
    token = fake_jira.context_token(app, viewer)
    params = {**FEBRUARY, "jwt": token, **({"loc": loc} if loc else {})}
    headers = {"Accept-Language": language} if language else {}
    response = requests.get(
        f"{server.base_url}/timesheet/export.{kind}", params=params, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.content


VARIANTS = [
    pytest.param(GERMAN, "de-DE,de;q=0.9", "de-DE", id="german-viewer-german-browser"),
    pytest.param(GERMAN, None, None, id="german-viewer"),
    pytest.param(ENGLISH, "fr-FR", "fr-FR", id="english-viewer-french-browser"),
]


@pytest.mark.parametrize(("viewer", "language", "loc"), VARIANTS)
def test_the_csv_is_the_same_in_every_locale(
    installed_tenant, ack_server, fake_jira, viewer, language, loc
):
    english = download(ack_server, fake_jira, installed_tenant, "csv", ENGLISH)
    other = download(
        ack_server, fake_jira, installed_tenant, "csv", viewer, language=language, loc=loc
    )
    assert other == english
    rows = list(csv.reader(io.StringIO(other.decode("utf-8-sig"))))
    # ISO dates head the columns (weeks by their first day, a cut week by its days) ...
    assert rows[0][1:-2] == [
        "2014-02-01/2014-02-02",
        "2014-02-03",
        "2014-02-10",
        "2014-02-17",
        "2014-02-24/2014-02-28",
    ]
    # ... and hours have a point and two decimals: 7.50, never 7,50.
    by_user = {row[0]: row for row in rows[1:-1]}
    assert by_user["Greta Deutsch"][2] == "7.50"
    assert by_user["Ellen English"][3:5] == ["1.25", ""]
    assert rows[-1][-2] == "9.09"
    assert b"7,50" not in other


@pytest.mark.parametrize(("viewer", "language", "loc"), VARIANTS)
def test_the_workbook_keeps_numeric_cells_in_every_locale(
    installed_tenant, ack_server, fake_jira, viewer, language, loc
):
    def cells(content):
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        return [
            [(cell.value, cell.data_type, cell.number_format) for cell in row]
            for row in sheet.iter_rows()
        ]

    english = cells(download(ack_server, fake_jira, installed_tenant, "xlsx", ENGLISH))
    other = cells(
        download(
            ack_server, fake_jira, installed_tenant, "xlsx", viewer, language=language, loc=loc
        )
    )
    assert other == english
    header = [value for value, _, _ in other[0]]
    assert header[1:3] == ["2014-02-01/2014-02-02", "2014-02-03"]
    greta = next(row for row in other if row[0][0] == "Greta Deutsch")
    # A number the spreadsheet formats itself (7.5 shows as 7,50 in a German Excel).
    assert greta[2] == (7.5, "n", "0.00")
