"""CSV and Excel exports: the same numbers as the report, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from smart_timesheet_plugin.export import (
    defuse_formulas,
    export_filename,
    export_title,
    hours_text,
    report_csv,
    report_xlsx,
    sheet_name,
)
from smart_timesheet_plugin.params import GroupDimension, ReportParams
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.model import Report, Worklog
from tests.timesheet.builders import make_worklog

D = datetime.date
# Hours are shown with two decimals: a value may be off by up to half a hundredth of an hour.
ROUNDING_SECONDS = 18


def worklog(started: str, seconds: int, author: str, name: str, project: str) -> Worklog:
    return make_worklog(
        started,
        seconds=seconds,
        author=author,
        author_name=name,
        issue=f"{project}-1",
        summary="Work",
        project=project,
        project_name=f"Project {project}",
        worklog_id=f"{author}-{started}",
    )


WORKLOGS = [
    worklog("2014-02-24T09:00:00.000+0000", 3600, "acc-1", "Zoë Ågren, Jr.", "TS"),
    worklog("2014-02-24T11:00:00.000+0000", 1000, "acc-2", '=HYPERLINK("http://x")', "TS"),
    worklog("2014-02-25T09:00:00.000+0000", 5400, "acc-3", "+49 Hotline", "OPS"),
    worklog("2014-02-26T09:00:00.000+0000", 17, "acc-4", "-minus", "OPS"),
    worklog("2014-02-27T09:00:00.000+0000", 7201, "acc-5", "@handle", "OPS"),
    worklog("2014-02-28T09:00:00.000+0000", 60, "acc-6", "\tTabbed", "TS"),
    worklog("2014-03-01T09:00:00.000+0000", 999, "acc-7", '李 "quoted"\nname', "TS"),
]


def team_report(group: tuple[GroupDimension, ...]) -> Report:
    params = ReportParams(D(2014, 2, 24), D(2014, 3, 2), group=group)
    return build_report(WORKLOGS, params, viewer_tz="UTC")


@pytest.fixture(params=[("user",), ("project", "user")], ids=["one-level", "two-level"])
def group(request: pytest.FixtureRequest) -> tuple[GroupDimension, ...]:
    """One and two grouping levels, for tests that hold for both."""
    return request.param  # type: ignore[no-any-return]


def hours_close(hours: float, seconds: int) -> bool:
    return abs(hours * 3600 - seconds) <= ROUNDING_SECONDS


# --- CSV --------------------------------------------------------------------------------------


def parse_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_totals_equal_the_report(group: tuple[GroupDimension, ...]) -> None:
    report = team_report(group)
    lines = parse_csv(report_csv(report))
    keys = [column.key for column in report.columns]
    header, *body, totals = lines
    assert header == [*(dimension.title() for dimension in group), *keys, "Total", "Level"]
    assert len(body) == len(report.rows)
    first_value = len(group)
    for line, row in zip(body, report.rows, strict=True):
        for key, text in zip(keys, line[first_value:-2], strict=True):
            assert hours_close(float(text or 0), row.cells.get(key, 0))
        assert hours_close(float(line[-2]), row.total)
        assert line[-1] == ("subtotal" if row.subtotal else "row")
    assert totals[0] == "Total"
    assert totals[1:first_value] == [""] * (first_value - 1)
    for key, text in zip(keys, totals[first_value:-2], strict=True):
        assert hours_close(float(text), report.column_totals[key])
    assert hours_close(float(totals[-2]), report.total)
    assert totals[-1] == "total"


def test_summing_the_row_lines_of_the_level_column_gives_the_total_once(
    group: tuple[GroupDimension, ...],
) -> None:
    # What a spreadsheet user does: filter Level = row and sum the Total column.
    report = team_report(group)
    body = parse_csv(report_csv(report))[1:-1]
    rows = [line for line in body if line[-1] == "row"]
    assert len(rows) == sum(not row.subtotal for row in report.rows)
    assert hours_close(sum(float(line[-2]) for line in rows), report.total)


def test_csv_is_rfc_4180_utf8_with_a_bom_for_excel() -> None:
    data = report_csv(team_report(("user",)))
    # Excel reads a CSV without a byte order mark in the machine's legacy code page.
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef")
    assert data.endswith(b"\r\n")
    # Every record ends in CRLF; the bare newline inside one label stays within its quotes.
    assert data.count(b"\r\n") == len(parse_csv(data))
    assert '"Zoë Ågren, Jr."'.encode() in data
    assert '"李 ""quoted""\nname"'.encode() in data


def test_csv_rows_show_labels_and_two_decimal_hours() -> None:
    lines = parse_csv(report_csv(team_report(("user",))))
    by_label = {line[0]: line for line in lines[1:-1]}
    assert by_label["Zoë Ågren, Jr."][1:2] == ["1.00"]
    assert by_label["'+49 Hotline"][2:3] == ["1.50"]
    # 17 seconds on the 26th round to 0.00 hours; days without worklogs stay empty.
    assert by_label["'-minus"][2:4] == ["", "0.00"]
    assert by_label["'@handle"][-2] == "2.00"


def test_csv_subtotal_rows_fill_only_their_own_label() -> None:
    lines = parse_csv(report_csv(team_report(("project", "user"))))
    assert lines[1][:2] == ["OPS: Project OPS", ""]
    assert lines[2][:2] == ["OPS: Project OPS", "'+49 Hotline"]
    assert hours_close(float(lines[1][-2]), 5400 + 17 + 7201)
    assert [lines[1][-1], lines[2][-1]] == ["subtotal", "row"]


@pytest.mark.parametrize(
    ("label", "defused"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (" =1", " '=1"),
        ('"=1"', '"\'=1"'),
        ("Mallory;=cmd|' /C calc'!A0", "Mallory;'=cmd|' /C calc'!A0"),
        ("Eve,+1", "Eve,'+1"),
        ("Eve; -1", "Eve; '-1"),
        ("Eve|@A1", "Eve|'@A1"),
        ("Eve\n=1", "Eve\n'=1"),
        ('Eve;"=1"', 'Eve;"\'=1"'),
        ("Eve;\t=1", "Eve;'\t'=1"),
    ],
)
def test_every_place_a_formula_could_start_is_defused(label: str, defused: str) -> None:
    assert defuse_formulas(label) == defused


@pytest.mark.parametrize("label", ["Jean-Luc", "Ann = Bob", "a+b@example.com", "Zoë Ågren, Jr."])
def test_text_without_a_formula_start_is_kept(label: str) -> None:
    assert defuse_formulas(label) == label


# Display names built to become formula cells once a spreadsheet splits the CSV on something other
# than a comma (";" in many locales, tab or "|" by import setting) or on line breaks.
HOSTILE_NAMES = [
    "=cmd|' /C calc'!A0",
    "Mallory;=cmd|' /C calc'!A0",
    'Oscar;"=2+2"',
    'Trudy,=HYPERLINK("http://x")',
    "Peggy|@SUM(A1:A9)",
    "Victor\t-3+4",
    "Walter\r\n+5",
    "Sybil; ;-6",
    '"=quoted"',
    " =spaced",
    "\rCarriage",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile_report(group: tuple[GroupDimension, ...]) -> Report:
    worklogs = [
        worklog("2014-02-24T09:00:00.000+0000", 3600 + index, f"evil-{index}", name, "TS")
        for index, name in enumerate(HOSTILE_NAMES)
    ]
    params = ReportParams(D(2014, 2, 24), D(2014, 2, 25), group=group)
    return build_report(worklogs, params, viewer_tz="UTC")


def spreadsheet_readings(text: str) -> Iterator[tuple[str, list[str]]]:
    """Every field of ``text`` as a spreadsheet in some locale could split it, with that reading."""
    for delimiter in (",", ";", "\t", "|"):
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
            reading = f"delimiter {delimiter!r}, quoting {quoting}"
            for line in reader:
                yield reading, line
        # A reader that splits lines first and never looks at quotes.
        for line in re.split(r"\r\n|\r|\n", text):
            yield f"delimiter {delimiter!r}, lines first", line.split(delimiter)


def starts_a_formula(field: str) -> bool:
    # Spreadsheets may trim spaces and stray quotes before they look at the first character.
    return field.lstrip(' "').startswith(FORMULA_STARTS)


@pytest.mark.parametrize("group", [("user",), ("project", "user"), ("user", "project")])
def test_no_reading_of_the_csv_in_any_locale_finds_a_formula(
    group: tuple[GroupDimension, ...],
) -> None:
    text = report_csv(hostile_report(group)).decode("utf-8")
    fields = list(spreadsheet_readings(text))
    assert fields
    for reading, line in fields:
        for field in line:
            assert not starts_a_formula(field), (reading, field)


def test_hostile_labels_keep_their_text_and_the_hours_their_numbers() -> None:
    lines = parse_csv(report_csv(hostile_report(("project", "user"))))
    labels = {line[1]: line for line in lines[1:-1] if line[1]}
    assert labels["Mallory;'=cmd|' /C calc'!A0"][2:] == ["1.00", "", "1.00", "row"]
    assert {label.replace("'", "") for label in labels} == {
        name.replace("'", "") for name in HOSTILE_NAMES
    }


def test_csv_quotes_every_text_cell_and_no_number() -> None:
    # Labels without commas, quotes or line breaks, so the raw cells can be read off the text.
    plain = [log for log in WORKLOGS if not any(mark in log.author_name for mark in ',"\n')]
    params = ReportParams(D(2014, 2, 24), D(2014, 3, 2), group=("project", "user"))
    data = report_csv(build_report(plain, params, viewer_tz="UTC")).decode("utf-8-sig")
    header, *body, totals = [line.split(",") for line in data.removesuffix("\r\n").split("\r\n")]
    assert all(cell.startswith('"') and cell.endswith('"') for cell in header)
    number = re.compile(r"\d+\.\d\d")
    for line in [*body, totals]:
        assert all(cell.startswith('"') and cell.endswith('"') for cell in line[:2])
        assert all(cell == "" or number.fullmatch(cell) for cell in line[2:-1]), line
        assert line[-1] in ('"row"', '"subtotal"', '"total"')


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0.00"), (17, "0.00"), (18, "0.01"), (5400, "1.50"), (7201, "2.00"), (86_399, "24.00")],
)
def test_hours_round_half_up_to_two_decimals(seconds: int, text: str) -> None:
    assert hours_text(seconds) == text


# --- Excel ------------------------------------------------------------------------------------


def load_sheet(report: Report, title: str = "Timesheet") -> Worksheet:
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(report, title=title)))
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    return sheet


def test_xlsx_totals_equal_the_report(group: tuple[GroupDimension, ...]) -> None:
    report = team_report(group)
    sheet = load_sheet(report)
    rows = list(sheet.iter_rows(values_only=True))
    keys = [column.key for column in report.columns]
    header, *body, totals = rows
    assert list(header) == [*(dimension.title() for dimension in group), *keys, "Total"]
    first_value = len(group)
    assert len(body) == len(report.rows)
    for line, row in zip(body, report.rows, strict=True):
        assert tuple(label for label in line[:first_value] if label is not None) == row.labels
        for key, value in zip(keys, line[first_value:-1], strict=True):
            assert hours_close(value or 0, row.cells.get(key, 0))
        assert hours_close(line[-1], row.total)
    assert totals[0] == "Total"
    for key, value in zip(keys, totals[first_value:-1], strict=True):
        assert hours_close(value, report.column_totals[key])
    assert hours_close(totals[-1], report.total)


def test_xlsx_numbers_are_typed_hours_with_two_decimals() -> None:
    report = team_report(("user",))
    sheet = load_sheet(report)
    total = sheet.cell(row=sheet.max_row, column=sheet.max_column)
    assert total.data_type == "n"
    assert total.number_format == "0.00"
    assert total.value == pytest.approx(report.total / 3600)


def test_xlsx_freezes_the_header_row_and_label_columns() -> None:
    assert load_sheet(team_report(("user",))).freeze_panes == "B2"
    assert load_sheet(team_report(("project", "user"))).freeze_panes == "C2"


def test_xlsx_subtotal_rows_are_bold() -> None:
    report = team_report(("project", "user"))
    sheet = load_sheet(report)
    for index, row in enumerate(report.rows, start=2):
        assert sheet.cell(row=index, column=sheet.max_column).font.b is row.subtotal


def test_xlsx_writes_hostile_labels_as_strings_never_formulas() -> None:
    report = hostile_report(("project", "user"))
    data = report_xlsx(report, title="Timesheet")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere in the sheet
    sheet = load_sheet(report)
    # XLSX stores a carriage return as "_x000D_"; Excel turns it back, openpyxl leaves it as is.
    cells = {
        str(sheet.cell(row=row, column=2).value).replace("_x000D_", "\r"): row
        for row in range(2, sheet.max_row)
    }
    for name in HOSTILE_NAMES:
        row = cells[name]  # exactly as Jira has it, as a string cell
        assert sheet.cell(row=row, column=2).data_type == "s"
        assert sheet.cell(row=row, column=sheet.max_column).data_type == "n"


def test_xlsx_keeps_labels_as_text_exactly() -> None:
    sheet = load_sheet(team_report(("user",)))
    labels = {sheet.cell(row=row, column=1).value for row in range(2, sheet.max_row)}
    assert '=HYPERLINK("http://x")' in labels  # a string cell, never evaluated
    assert '李 "quoted"\nname' in labels
    assert all(sheet.cell(row=row, column=1).data_type == "s" for row in range(2, sheet.max_row))


def test_xlsx_column_widths_fit_labels() -> None:
    sheet = load_sheet(team_report(("user",)))
    assert sheet.column_dimensions["A"].width >= len('=HYPERLINK("http://x")')
    assert sheet.column_dimensions["B"].width >= 8


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [
        (D(2014, 2, 1), D(2014, 2, 28), "Timesheet Feb 2014"),
        (D(2025, 1, 1), D(2025, 12, 31), "Timesheet 2025"),
        (D(2014, 2, 24), D(2014, 3, 9), "Timesheet 2014-02-24 to 03-09"),
        (D(2013, 12, 30), D(2014, 1, 5), "2013-12-30 to 2014-01-05"),
    ],
)
def test_xlsx_sheet_names_the_period_within_excels_31_characters(
    first: datetime.date, last: datetime.date, name: str
) -> None:
    report = build_report([], ReportParams(first, last), viewer_tz="UTC")
    assert sheet_name(report) == name and len(name) <= 31
    # The title, too long for a sheet, still names the document.
    title = export_title(report)
    assert load_sheet(report, title=title).title == name


# --- file names -------------------------------------------------------------------------------


def test_export_filename_and_title_name_the_period() -> None:
    report = build_report([], ReportParams(D(2014, 2, 1), D(2014, 2, 28)), viewer_tz="UTC")
    assert export_filename(report, "csv") == "timesheet_2014-02-01_2014-02-28.csv"
    assert export_filename(report, ".xlsx") == "timesheet_2014-02-01_2014-02-28.xlsx"
    assert export_title(report) == "Timesheet 2014-02-01 to 2014-02-28"
    with pytest.raises(ValueError):
        export_filename(report, "csv; evil")


# --- Expected hours ------------------------------------------------------------------------------


def expected_report() -> Report:
    """People by project, 24 February to 2 March 2014, with the default week's expected hours
    (acc-1 took Wednesday off)."""
    from smart_timesheet_plugin.report.expected import DEFAULT_WORKING_WEEK, add_expected

    params = ReportParams(D(2014, 2, 24), D(2014, 3, 2), group=("user", "project"), expected=True)
    report = build_report(WORKLOGS, params, viewer_tz="UTC")
    days_off = {"acc-1": {D(2014, 2, 26)}}
    later = int(datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC).timestamp() * 1000)
    return add_expected(report, DEFAULT_WORKING_WEEK, days_off, now_ms=later, viewer_tz="UTC")


def test_the_csv_puts_each_persons_expected_line_after_their_subtotal():
    report = expected_report()
    lines = parse_csv(report_csv(report))
    header = lines[0]
    levels = [line[-1] for line in lines[1:]]
    # Two levels: a person's subtotal, their expected hours, then their projects.
    assert levels[:3] == ["subtotal", "expected", "row"]
    assert levels[-2:] == ["total", "expected-total"]
    zoe_logged = next(
        line for line in lines if line[0] == "Zoë Ågren, Jr." and line[-1] == "subtotal"
    )
    zoe = lines[lines.index(zoe_logged) + 1]
    assert zoe[0] == "Zoë Ågren, Jr." and zoe[1] == "" and zoe[-1] == "expected"
    assert zoe[header.index("2014-02-24")] == "8.00"
    assert zoe[header.index("2014-02-26")] == ""  # the day off
    assert zoe[header.index("2014-03-01")] == ""  # a Saturday
    assert zoe[header.index("Total")] == "32.00"
    people = len([level for level in levels if level == "expected"])
    assert people == 7
    assert lines[-1][header.index("Total")] == hours_text(report.expected_total or 0)
    assert report.expected_total == (7 * 40 - 8) * 3600


def test_the_workbook_marks_logged_and_expected_lines_with_numbers():
    sheet = openpyxl.load_workbook(io.BytesIO(report_xlsx(expected_report(), title="T"))).active
    assert isinstance(sheet, Worksheet)
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-2:] == ("Total", "Hours")
    assert [row[-1] for row in values[1:4]] == ["logged", "expected", "logged"]
    zoe = next(row for row in values if row[0] == "Zoë Ågren, Jr." and row[-1] == "expected")
    assert zoe[-2] == pytest.approx(32)
    assert values[-1][0] == "Total" and values[-1][-1] == "expected"
    assert values[-1][-2] == pytest.approx(7 * 40 - 8)
