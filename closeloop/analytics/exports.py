"""A metrics table as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese labels) and
as an Excel workbook (XlsxWriter): one row per group, three columns per metric (value,
numerator, sample), and a sheet with each metric's definition."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from closeloop.analytics.engine import Row
from closeloop.analytics.metrics import metric_get


def header(keys: Sequence[str], group_by: str | None) -> list[str]:
    """The column titles (translated)."""
    titles = [_("Group") if group_by else _("Scope"), _("Key")]
    for key in keys:
        label = str(metric_get(key).label)
        titles += [label, f"{label} · {_('numerator')}", f"{label} · {_('sample')}"]
    return titles


def cells(row: Row, keys: Sequence[str]) -> list[Any]:
    """One row's cells: label, key, then value, numerator and sample per metric."""
    values: list[Any] = [row.label, "" if row.key is None else row.key]
    for key in keys:
        measurement = row.values[key]
        value = None if measurement.value is None else round(measurement.value, 4)
        values += [value, round(float(measurement.numerator), 4), measurement.sample]
    return values


def table_csv(rows: list[Row], keys: Sequence[str], group_by: str | None) -> bytes:
    """The table as CSV bytes, UTF-8 with a byte-order mark; an empty cell means no value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(keys, group_by))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in cells(row, keys)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(
    rows: list[Row], keys: Sequence[str], group_by: str | None, start: date, end: date
) -> bytes:
    """The table as an .xlsx workbook: "Metrics" (the figures, period in the first row) and
    "Definitions" (each metric's unit and definition)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    number = workbook.add_format({"num_format": "0.00"})
    sheet = workbook.add_worksheet(_("Metrics")[:31])
    sheet.write(0, 0, _("Period"), bold)
    sheet.write(0, 1, f"{start.isoformat()} – {end.isoformat()}")
    for column, title in enumerate(header(keys, group_by)):
        sheet.write(2, column, title, bold)
    for offset, row in enumerate(rows):
        for column, cell in enumerate(cells(row, keys)):
            if cell is None:
                continue
            if isinstance(cell, float):
                sheet.write_number(3 + offset, column, cell, number)
            else:
                sheet.write(3 + offset, column, cell)
    sheet.set_column(0, 0, 24)
    sheet.set_column(2, 2 + 3 * len(keys), 14)
    sheet.freeze_panes(3, 2)
    definitions = workbook.add_worksheet(_("Definitions")[:31])
    for column, title in enumerate((_("Metric"), _("Key"), _("Unit"), _("Definition"))):
        definitions.write(0, column, title, bold)
    for offset, key in enumerate(keys, start=1):
        definition = metric_get(key)
        definitions.write(offset, 0, str(definition.label))
        definitions.write(offset, 1, key)
        definitions.write(offset, 2, str(definition.unit))
        definitions.write(offset, 3, str(definition.definition))
    definitions.set_column(0, 0, 32)
    definitions.set_column(3, 3, 90)
    workbook.close()
    return buffer.getvalue()
