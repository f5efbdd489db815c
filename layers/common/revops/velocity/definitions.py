"""What each metric counts, in words a reader can check, and whether that changed.

What "Boca-sourced" and "meeting attended" mean lives in the saved reports'
filters, which our configuration only names by Id. Each run reads every saved
report's definition from the Analytics REST API describe
(`/analytics/reports/{id}/describe`): `reportMetadata.reportFilters` (`column`,
`operator`, `value`), `reportBooleanFilter` and `scope`, with the column labels
from `reportTypeMetadata.categories[].columns` and the operator labels from
`reportTypeMetadata.dataTypeFilterOperatorMap` (Analytics REST API Developer
Guide, Describe). A filter reads "Opportunity: Lead Source equals Boca".

A SOQL metric's definition is its own configuration (object, value, filters).

Definitions are kept with every history entry, shown in the dashboards' footer
and in the run summary; a definition that differs from the one an earlier run
recorded is flagged (`changes`): weeks on either side of that change count
different things.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from revops.velocity.config import ReportSource, SoqlSource

_COMPARED = ("source", "reportId", "filters", "logic", "scope", "dateColumn", "value", "object")


def _labels(described: Mapping[str, Any]) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    """column -> (entity, label, data type), and (data type, operator) -> operator label."""
    type_metadata = described.get("reportTypeMetadata") or {}
    columns: dict[str, tuple[str, str, str]] = {}
    for category in type_metadata.get("categories") or []:
        entity = str(category.get("label") or "").removesuffix(" Information")
        for name, info in (category.get("columns") or {}).items():
            label = str(info.get("label") or name)
            columns[name] = (entity, label, str(info.get("dataType") or ""))
    operators: dict[str, str] = {}
    for data_type, entries in (type_metadata.get("dataTypeFilterOperatorMap") or {}).items():
        for entry in entries or []:
            operators[f"{data_type}:{entry.get('name')}"] = str(entry.get("label"))
    return columns, operators


def filter_text(
    spec: Mapping[str, Any],
    columns: Mapping[str, tuple[str, str, str]],
    operators: Mapping[str, str],
) -> str:
    """One report filter as a sentence: "Opportunity: Lead Source equals Boca"."""
    column = str(spec.get("column") or "")
    entity, label, data_type = columns.get(column, ("", column, ""))
    if "." in column:
        entity = column.split(".", 1)[0]
    operator = str(spec.get("operator") or "")
    verb = operators.get(f"{data_type}:{operator}", operator)
    value = str(spec.get("value") or "")
    shown = ", ".join(v.strip() for v in value.split(",")) if value else "(blank)"
    return f"{entity + ': ' if entity else ''}{label} {verb} {shown}"


def of_report(
    metric_key: str, source: ReportSource, described: Mapping[str, Any]
) -> dict[str, Any]:
    """A saved report's definition, from its describe."""
    metadata = described.get("reportMetadata") or {}
    columns, operators = _labels(described)
    groupings = metadata.get("groupingsDown") or []
    date_column = source.date_column or (groupings[0].get("name") if groupings else None)
    aggregates = ((described.get("reportExtendedMetadata") or {}).get("aggregateColumnInfo")) or {}
    aggregate = source.aggregate or next(iter(metadata.get("aggregates") or []), None)
    return {
        "metric": metric_key,
        "source": "report",
        "reportId": source.report_id,
        "name": metadata.get("name"),
        "filters": [
            filter_text(f, columns, operators) for f in metadata.get("reportFilters") or []
        ],
        "logic": metadata.get("reportBooleanFilter"),
        "scope": metadata.get("scope"),
        "dateColumn": columns.get(str(date_column), ("", str(date_column), ""))[1],
        "value": (aggregates.get(aggregate) or {}).get("label") or aggregate,
    }


def of_soql(metric_key: str, source: SoqlSource) -> dict[str, Any]:
    """A SOQL metric's definition: its own configuration."""
    return {
        "metric": metric_key,
        "source": "soql",
        "object": source.object,
        "filters": [source.filters] if source.filters else [],
        "logic": None,
        "scope": None,
        "dateColumn": source.date_field,
        "value": "Record Count" if source.value == "count" else source.value,
    }


def sentence(definition: Mapping[str, Any]) -> str:
    """A definition in one line, for the footer and the summary."""
    filters = list(definition.get("filters") or [])
    counted = " AND ".join(filters) if filters else "every record"
    if definition.get("logic"):
        counted += f" (filter logic {definition['logic']})"
    if definition.get("scope") not in (None, "organization"):
        counted += f" (scope: {definition['scope']})"
    where = (
        f"saved report {definition.get('name') or definition.get('reportId')}"
        if definition.get("source") == "report"
        else f"SOQL on {definition.get('object')}"
    )
    return f"{definition.get('value')} by {definition.get('dateColumn')} where {counted} ({where})"


def same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether two definitions count the same thing (a report's name may change freely)."""
    if a is None or b is None:
        return a is b
    return all(a.get(k) == b.get(k) for k in _COMPARED)


def changes(
    current: Mapping[str, Mapping[str, Any]],
    earlier: Iterable[tuple[str, str | None, Mapping[str, Any] | None]],
) -> list[dict[str, Any]]:
    """Metrics whose definition differs from the one the latest earlier run recorded.

    `earlier` is (week key, generated at, definitions) of the kept weeks, any order;
    the weeks written under another definition of the metric are listed."""
    ordered = sorted(earlier, key=lambda e: e[1] or "", reverse=True)
    found = []
    for metric, now in current.items():
        before = next(
            (d[metric] for _, _, d in ordered if d and metric in d and d[metric] is not None), None
        )
        if before is None or same(before, now):
            continue
        weeks = sorted(
            {key for key, _, d in ordered if d and metric in d and not same(d[metric], now)}
        )
        found.append(
            {
                "metric": metric,
                "before": sentence(before),
                "after": sentence(now),
                "weeks": weeks,
            }
        )
    return found
