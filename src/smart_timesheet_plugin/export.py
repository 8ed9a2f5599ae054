"""CSV and Excel files of a timesheet report.

Both are written from the typed :class:`~smart_timesheet_plugin.report.model.Report`, the very
record the page's JSON is rendered from, so exported totals equal the screen's by construction.
Durations are decimal hours.

CSV: RFC 4180 (comma separated, CRLF line ends), UTF-8 *with* a byte order mark, without which
Excel reads the file in the machine's legacy code page and garbles every non-ASCII name. A last
``Level`` column says what each line is (``row``, ``subtotal`` or ``total``), so a filter or a
pivot table can sum the ``row`` lines alone and never count a subtotal twice. Hours are unquoted
numbers with two decimals and a point, whatever the reader's locale; empty cells are zero. Every
text cell is quoted and defused (:func:`defuse_formulas`): a spreadsheet that splits lines on
another separator (``;`` in many locales) must not find a formula inside a label either.

With expected hours (``expected=1``) each person's line is followed by a line of the same labels
holding their expected hours (``Level`` ``expected`` in the CSV; ``expected`` in the workbook's
last column, ``Hours``), and the totals by the expected totals (``expected-total``).
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import xlsxwriter

from smart_timesheet_plugin.report.model import Column, Report

#: Header of the label column of each grouping dimension.
DIMENSION_HEADERS: Final[Mapping[str, str]] = {
    "user": "User",
    "project": "Project",
    "issue": "Issue",
    "parent": "Parent",
    "issuetype": "Issue type",
    "component": "Component",
    "fixversion": "Fix version",
    "label": "Label",
    "sprint": "Sprint",
    "field": "Custom field",
}
#: Header of the row totals column, and first cell of the column totals row.
TOTAL_HEADER: Final = "Total"
#: Header of the CSV's last column, which says what each line is.
LEVEL_HEADER: Final = "Level"
#: ``Level`` of a line holding a row's own worklogs: the lines to sum.
LEVEL_ROW: Final = "row"
#: ``Level`` of a first-level subtotal line of a two-level report.
LEVEL_SUBTOTAL: Final = "subtotal"
#: ``Level`` of the last line, the column totals.
LEVEL_TOTAL: Final = "total"
#: ``Level`` of a line holding a person's expected hours (the line before is their logged hours).
LEVEL_EXPECTED: Final = "expected"
#: ``Level`` of the line holding the expected hours' column totals.
LEVEL_EXPECTED_TOTAL: Final = "expected-total"
#: Header of the workbook's last column when it holds expected hours: ``logged`` or ``expected``.
MEASURE_HEADER: Final = "Hours"
#: The byte order mark that tells Excel the CSV is UTF-8.
UTF8_BOM: Final = "\ufeff"

_SECONDS_PER_HOUR: Final = 3600
_HUNDREDTH: Final = Decimal("0.01")
# Labels come from Jira users. A spreadsheet reads a cell that starts with = + - @, tab or CR as a
# formula (or the start of one), and a cell may start at the beginning of our cell or after any
# character some reader splits on: comma, semicolon, tab or pipe (by locale or import setting), a
# line break (readers that split lines before they look at quotes), each possibly followed by
# spaces and stray double quotes (a reader that splits on ";" sees our quoting as text). An
# apostrophe goes before every such formula start.
_FORMULA_START: Final = re.compile(r"(^|[,;\t|\r\n])([ \"]*)(?=[=+\-@\t\r])")
# Excel's limits on a worksheet, and on the characters of its name.
_EXCEL_MAX_ROWS: Final = 1_048_576
_EXCEL_MAX_COLUMNS: Final = 16_384
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX: Final = 31
_LABEL_WIDTH_MAX: Final = 60
_NUMBER_WIDTH: Final = 10
_HOURS_FORMAT: Final = "0.00"
_EXTENSION: Final = re.compile(r"[A-Za-z0-9]{1,10}")
_MONTH_NAMES: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def hours_text(seconds: int) -> str:
    """Seconds as decimal hours with two decimals, halves rounded up: 5400 -> ``"1.50"``."""
    return str(_hours_decimal(seconds))


def _hours_decimal(seconds: int) -> Decimal:
    hours = Decimal(seconds) / _SECONDS_PER_HOUR
    return hours.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def defuse_formulas(text: str) -> str:
    """``text`` safe as a CSV cell in any locale: ``'`` before every place a formula could start.

    A place is the start of the text or what follows a separator some reader may split on
    (``, ; | tab CR LF``, then any spaces and double quotes); a formula starts with ``= + - @``,
    tab or CR. ``Mallory;=cmd|' /C calc'!A0`` becomes ``Mallory;'=cmd|' /C calc'!A0`` and
    ``-minus`` becomes ``'-minus``, while ``Jean-Luc`` stays as it is.
    """
    return _FORMULA_START.sub(r"\1\2'", text)


def _csv_line(cells: Sequence[str | Decimal | None]) -> str:
    """One CSV record: text quoted and defused, numbers bare, ``None`` as an empty cell."""
    fields = []
    for cell in cells:
        if cell is None:
            fields.append("")
        elif isinstance(cell, Decimal):
            fields.append(str(cell))
        else:
            fields.append('"' + defuse_formulas(cell).replace('"', '""') + '"')
    return ",".join(fields) + "\r\n"


def report_csv(report: Report) -> bytes:
    """The report as CSV bytes.

    A byte order mark, then one header row (a column per grouping level named after its
    dimension, each column's heading (:func:`column_heading`), ``Total``, ``Level``), one line
    per report row in the report's order (a subtotal row fills only its first label), then a
    ``Total`` line with the column totals and the grand total. ``Level`` is ``row``,
    ``subtotal`` or ``total``.
    """
    group = report.params.group
    column_keys = [column.key for column in report.columns]
    headings = _column_headings(report)
    lines = [_csv_line([*_label_headers(group), *headings, TOTAL_HEADER, LEVEL_HEADER])]
    for row in report.rows:
        cells = row.cells
        lines.append(
            _csv_line(
                [
                    *_padded(row.labels, len(group)),
                    *(_hours_decimal(cells[key]) if key in cells else None for key in column_keys),
                    _hours_decimal(row.total),
                    LEVEL_SUBTOTAL if row.subtotal else LEVEL_ROW,
                ]
            )
        )
        if row.expected is not None and row.expected_total is not None:
            lines.append(
                _csv_line(
                    [
                        *_padded(row.labels, len(group)),
                        *(_hours_decimal(row.expected[key]) or None for key in column_keys),
                        _hours_decimal(row.expected_total),
                        LEVEL_EXPECTED,
                    ]
                )
            )
    totals = report.column_totals
    lines.append(
        _csv_line(
            [
                TOTAL_HEADER,
                *([""] * (len(group) - 1)),
                *(_hours_decimal(totals.get(key, 0)) for key in column_keys),
                _hours_decimal(report.total),
                LEVEL_TOTAL,
            ]
        )
    )
    if report.expected_totals is not None and report.expected_total is not None:
        expected_totals = report.expected_totals
        lines.append(
            _csv_line(
                [
                    TOTAL_HEADER,
                    *([""] * (len(group) - 1)),
                    *(_hours_decimal(expected_totals.get(key, 0)) for key in column_keys),
                    _hours_decimal(report.expected_total),
                    LEVEL_EXPECTED_TOTAL,
                ]
            )
        )
    return (UTF8_BOM + "".join(lines)).encode("utf-8")


def report_xlsx(report: Report, *, title: str) -> bytes:
    """The report as an Excel workbook (XLSX bytes), built in memory.

    Hours are numeric cells shown with two decimals (the full value is kept, so sums in the sheet
    match). The header row and the label columns are frozen, subtotal rows are bold, and a Total
    column and a Total row hold the report's totals as values. ``title`` names the document; the
    worksheet is named by :func:`sheet_name`.

    Raises :class:`ValueError` when the report has more rows or columns than a worksheet holds.
    """
    group = report.params.group
    column_keys = [column.key for column in report.columns]
    with_expected = report.expected_totals is not None and report.expected_total is not None
    lines = _xlsx_lines(report)
    label_count = len(group)
    if len(lines) + 1 > _EXCEL_MAX_ROWS or label_count + len(column_keys) + 2 > _EXCEL_MAX_COLUMNS:
        raise ValueError("the report is larger than an Excel worksheet")

    output = io.BytesIO()
    # Text is always written as text: labels must never turn into formulas, numbers or links.
    workbook = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": title})
    sheet = workbook.add_worksheet(_sheet_name(sheet_name(report)))
    header_format = workbook.add_format({"bold": True, "bottom": 1})
    # quote_prefix keeps a label text even when someone edits the cell later.
    formats = {
        (kind, part): workbook.add_format(options)
        for kind, part, options in (
            (LEVEL_ROW, "label", {"quote_prefix": True}),
            (LEVEL_ROW, "hours", {"num_format": _HOURS_FORMAT}),
            (LEVEL_SUBTOTAL, "label", {"bold": True, "quote_prefix": True}),
            (LEVEL_SUBTOTAL, "hours", {"bold": True, "num_format": _HOURS_FORMAT}),
            (LEVEL_EXPECTED, "label", {"italic": True, "quote_prefix": True}),
            (LEVEL_EXPECTED, "hours", {"italic": True, "num_format": _HOURS_FORMAT}),
            (LEVEL_TOTAL, "label", {"bold": True, "top": 1}),
            (LEVEL_TOTAL, "hours", {"bold": True, "top": 1, "num_format": _HOURS_FORMAT}),
            (LEVEL_EXPECTED_TOTAL, "label", {"bold": True, "italic": True}),
            (
                LEVEL_EXPECTED_TOTAL,
                "hours",
                {"bold": True, "italic": True, "num_format": _HOURS_FORMAT},
            ),
        )
    }

    headings = [
        *_label_headers(group),
        *_column_headings(report),
        TOTAL_HEADER,
        *([MEASURE_HEADER] if with_expected else []),
    ]
    for index, heading in enumerate(headings):
        sheet.write_string(0, index, heading, header_format)

    total_column = label_count + len(column_keys)
    label_widths = [len(heading) for heading in headings[:label_count]]
    for row_number, (kind, labels, cells, total) in enumerate(lines, start=1):
        label_format = formats[kind, "label"]
        hours_format = formats[kind, "hours"]
        totals_line = kind in (LEVEL_TOTAL, LEVEL_EXPECTED_TOTAL)
        # Labels go in as string cells, which a spreadsheet never evaluates, so unlike the CSV
        # they are written exactly as Jira has them.
        for index, label in enumerate(_padded(labels, label_count)):
            if label:
                sheet.write_string(row_number, index, label, label_format)
                label_widths[index] = max(label_widths[index], len(label))
            elif totals_line:
                sheet.write_blank(row_number, index, None, label_format)
        for index, key in enumerate(column_keys, start=label_count):
            # The totals lines hold every column, zero included; other lines only non-zero cells.
            if totals_line or cells.get(key):
                sheet.write_number(row_number, index, _hours(cells.get(key, 0)), hours_format)
        sheet.write_number(row_number, total_column, _hours(total), hours_format)
        if with_expected:
            measure = "expected" if kind in (LEVEL_EXPECTED, LEVEL_EXPECTED_TOTAL) else "logged"
            sheet.write_string(row_number, total_column + 1, measure, label_format)

    for index, width in enumerate(label_widths):
        sheet.set_column(index, index, min(width, _LABEL_WIDTH_MAX) + 2)
    sheet.set_column(label_count, total_column, _NUMBER_WIDTH)
    sheet.freeze_panes(1, label_count)
    workbook.close()
    return output.getvalue()


def _xlsx_lines(report: Report) -> list[tuple[str, Sequence[str], Mapping[str, int], int]]:
    """The workbook's lines below its header: kind, labels, seconds by column and total."""
    lines: list[tuple[str, Sequence[str], Mapping[str, int], int]] = []
    for row in report.rows:
        lines.append(
            (LEVEL_SUBTOTAL if row.subtotal else LEVEL_ROW, row.labels, row.cells, row.total)
        )
        if row.expected is not None and row.expected_total is not None:
            lines.append((LEVEL_EXPECTED, row.labels, row.expected, row.expected_total))
    lines.append((LEVEL_TOTAL, [TOTAL_HEADER], report.column_totals, report.total))
    if report.expected_totals is not None and report.expected_total is not None:
        lines.append(
            (LEVEL_EXPECTED_TOTAL, [TOTAL_HEADER], report.expected_totals, report.expected_total)
        )
    return lines


def column_heading(column: Column) -> str:
    """A column's heading in the exports: its key, or the days it holds when the range clips it.

    A week or month cut short by the report's range is headed by the days it covers, in ISO 8601:
    ``2026-11-01`` for a single day, ``2026-11-01/2026-11-03`` for several, never by the start
    of a week the report does not hold.
    """
    if not column.clipped:
        return column.key
    if column.first_day == column.last_day:
        return column.first_day.isoformat()
    return f"{column.first_day.isoformat()}/{column.last_day.isoformat()}"


def _column_headings(report: Report) -> list[str]:
    # A pivot's columns are people or projects: their names head them, not their ids.
    if report.params.pivot is not None:
        return [column.label for column in report.columns]
    return [column_heading(column) for column in report.columns]


def sheet_name(report: Report) -> str:
    """The worksheet's name: the report's period, meaningful within Excel's 31 characters.

    ``Timesheet Feb 2014`` for a calendar month, ``Timesheet 2014`` for a calendar year,
    ``Timesheet 2014-02-24 to 03-09`` within a year, ``2013-12-30 to 2014-01-05`` across years.
    """
    first, last = report.params.date_from, report.params.date_to
    next_day = last + datetime.timedelta(days=1)
    if first.day == 1 and next_day.day == 1:
        if (first.month, next_day.month) == (1, 1) and next_day.year == first.year + 1:
            return f"Timesheet {first.year}"
        if (first.year, first.month) == (last.year, last.month):
            return f"Timesheet {_MONTH_NAMES[first.month - 1]} {first.year}"
    if first.year == last.year:
        return f"Timesheet {first.isoformat()} to {last.month:02d}-{last.day:02d}"
    return f"{first.isoformat()} to {last.isoformat()}"


def export_title(report: Report) -> str:
    """The title of an exported report, after its period: ``Timesheet 2014-02-01 to 2014-02-28``."""
    params = report.params
    return f"Timesheet {params.date_from.isoformat()} to {params.date_to.isoformat()}"


def export_filename(report: Report, extension: str) -> str:
    """Download name of an export, after its period: ``timesheet_2014-02-01_2014-02-28.csv``.

    ``extension`` is given with or without its dot; only letters and digits are accepted.
    """
    extension = extension.removeprefix(".")
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"not a file extension: {extension!r}")
    params = report.params
    return f"timesheet_{params.date_from.isoformat()}_{params.date_to.isoformat()}.{extension}"


def _hours(seconds: int) -> float:
    return seconds / _SECONDS_PER_HOUR


def _label_headers(group: Sequence[str]) -> list[str]:
    return [DIMENSION_HEADERS.get(dimension, dimension) for dimension in group]


def _padded(labels: Sequence[str], count: int) -> list[str]:
    """A row's labels padded to ``count`` cells (subtotal rows have fewer)."""
    return [*labels, *([""] * (count - len(labels)))]


def _sheet_name(title: str) -> str:
    name = " ".join(_SHEET_NAME_FORBIDDEN.sub(" ", title).split()).strip("'")
    return name[:_SHEET_NAME_MAX] or "Timesheet"
