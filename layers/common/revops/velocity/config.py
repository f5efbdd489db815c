"""Reports are configuration, not code.

A report (`boca`, `pipeline`) is a JSON document shipped with the layer in
`revops/velocity/reports/<name>.json`. It lists metrics; each metric is either

* a **window** metric: a weekly series per rep, shown as any of `last`,
  `prior`, `6w_avg`, `wow_pct` and `vs_avg_pct`. Its `source` is

  - `{"type": "report", "report_id": "00O...", "aggregate": "s!Opportunity.Amount",
    "date_column": "Opportunity.CreatedDate"}`: a saved Salesforce report grouped
    by week, then by owner, run through the Analytics Reports API (the old
    scripts' way). `aggregate` picks one of the report's summaries (default: the
    first); `date_column` is the column its date filter applies to (default:
    the report's own, read with one extra describe call);
  - `{"type": "soql", "object": "Opportunity", "owner_field": "OwnerId",
    "date_field": "CreatedDate", "date_type": "datetime", "value": "SUM(Amount)",
    "filters": "LeadSource = 'Boca'"}`: an aggregate SOQL query. `value` is
    `count` or `SUM(<field>)`; `date_type` says whether `date_field` is a date
    (a calendar day) or a dateTime (UTC);

* a **point-in-time** metric: one value per rep as of the end of the reported
  week (`point.measure` is one of `accounts_owned`, `open_opps`, `win_rate`,
  `avg_deal`, `avg_opp_age`, `avg_cycle_days`, `velocity`; see
  `revops.velocity.points`), with optional SOQL `filters` and a `lookback_weeks`
  window for the closed-deal measures.

Overrides: `VELOCITY_REPORT_OVERRIDES` names a JSON document in S3
(`s3://bucket/key`) or SSM Parameter Store (`ssm:/name` or `/name`), shaped
`{"boca": {...}, "pipeline": {...}}` (optionally under a top-level `"reports"`).
Each report's fields replace the shipped ones; its `metrics` are merged by
`key`: an entry deep-merges into the shipped metric of that key (so
`{"key": "meetings", "source": {"report_id": "00O..."}}` changes just the
report Id), `{"key": ..., "remove": true}` drops one, and a new key is added.
The merged report is validated as a whole; any problem is a
`ReportConfigError` naming the report, and nothing runs.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from revops.errors import ConfigurationError

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
REPORT_NAMES = ("boca", "pipeline")

Window = Literal["last", "prior", "6w_avg", "wow_pct", "vs_avg_pct"]
WINDOWS: tuple[Window, ...] = ("last", "prior", "6w_avg", "wow_pct", "vs_avg_pct")
Measure = Literal[
    "accounts_owned",
    "open_opps",
    "win_rate",
    "avg_deal",
    "avg_opp_age",
    "avg_cycle_days",
    "velocity",
]
Format = Literal["count", "currency", "percent", "days", "currency_per_day"]

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$")
_SUM = re.compile(r"^SUM\(\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?)\s*\)$", re.I)
_REPORT_ID = re.compile(r"^00O[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ReportConfigError(ConfigurationError):
    """A report definition or its override is missing, malformed or inconsistent."""


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_filters(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if ";" in value or "\n" in value:
        raise ValueError("filters are one SOQL WHERE condition (no ';' or newlines)")
    return value.strip()


class ReportSource(_Config):
    """A saved report grouped by week, then by owner."""

    type: Literal["report"]
    report_id: str
    aggregate: str | None = None
    date_column: str | None = None

    @field_validator("report_id")
    @classmethod
    def _report_id(cls, value: str) -> str:
        if not _REPORT_ID.match(value):
            raise ValueError(f"{value!r} is not a 15- or 18-character report Id (00O...)")
        return value


class SoqlSource(_Config):
    """An aggregate SOQL query: one value per owner and day over the whole range."""

    type: Literal["soql"]
    object: str
    owner_field: str = "OwnerId"
    date_field: str
    date_type: Literal["date", "datetime"]
    value: str = "count"
    filters: str | None = None

    @field_validator("object", "owner_field", "date_field")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a Salesforce field or object name")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if value.strip().lower() == "count":
            return "count"
        match = _SUM.match(value.strip())
        if not match:
            raise ValueError(f"value {value!r} must be 'count' or 'SUM(<field>)'")
        return f"SUM({match.group(1)})"

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: str | None) -> str | None:
        return _check_filters(value)

    def value_expression(self) -> str:
        return "COUNT(Id)" if self.value == "count" else self.value

    @property
    def sum_field(self) -> str | None:
        """The field a SUM adds up (None for a count)."""
        match = _SUM.match(self.value)
        return match.group(1) if match else None


Source = Annotated[ReportSource | SoqlSource, Field(discriminator="type")]


class PointSpec(_Config):
    """A value per rep as of the end of the reported week."""

    measure: Measure
    filters: str | None = None
    lookback_weeks: int = Field(12, ge=1, le=104)

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: str | None) -> str | None:
        return _check_filters(value)


class MetricConfig(_Config):
    """One metric of a report: either `windows` + `source`, or `point`."""

    key: str
    label: str
    format: Format = "count"
    windows: tuple[Window, ...] = ()
    source: Source | None = None
    point: PointSpec | None = None
    better: Literal["higher", "lower"] = "higher"
    description: str = ""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError(f"metric key {value!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.point is None:
            if self.source is None or not self.windows:
                raise ValueError(
                    f"metric {self.key!r} needs either 'windows' and 'source', or 'point'"
                )
            if len(set(self.windows)) != len(self.windows):
                raise ValueError(f"metric {self.key!r} lists a window twice")
        elif self.source is not None or self.windows:
            raise ValueError(f"metric {self.key!r} is point-in-time: no 'windows' or 'source'")
        return self

    @property
    def is_window(self) -> bool:
        return self.point is None


class ReportConfig(_Config):
    """One velocity report: what it measures and where its files go."""

    name: str
    title: str
    history_file: str
    page_file: str
    metrics: tuple[MetricConfig, ...]
    description: str = ""

    @field_validator("history_file", "page_file")
    @classmethod
    def _file_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError(f"{value!r} is not a plain file name")
        return value

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        keys = [m.key for m in self.metrics]
        if not keys:
            raise ValueError("a report needs at least one metric")
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"metric keys used twice: {', '.join(duplicated)}")
        return self

    @property
    def window_metrics(self) -> tuple[MetricConfig, ...]:
        return tuple(m for m in self.metrics if m.is_window)

    @property
    def point_metrics(self) -> tuple[MetricConfig, ...]:
        return tuple(m for m in self.metrics if not m.is_window)

    def metric(self, key: str) -> MetricConfig:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(key)


# ---------------------------------------------------------------------- loading


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<report>'}: {err['msg']}"
        for err in exc.errors()
    )


def parse_report(name: str, document: Any) -> ReportConfig:
    """Validate one report document (ReportConfigError names the report)."""
    if not isinstance(document, dict):
        raise ReportConfigError(f"report {name!r}: definition is not a JSON object")
    try:
        report = ReportConfig.model_validate(document)
    except ValidationError as exc:
        raise ReportConfigError(f"report {name!r}: {_problems(exc)}") from exc
    if report.name != name:
        raise ReportConfigError(f"report {name!r}: its definition is named {report.name!r}")
    return report


@functools.cache
def shipped_document(name: str) -> dict[str, Any]:
    """The report definition that ships with the layer, as a plain document."""
    if name not in REPORT_NAMES:
        raise ReportConfigError(f"no report named {name!r} (known: {', '.join(REPORT_NAMES)})")
    path = REPORTS_DIR / f"{name}.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ReportConfigError(f"report {name!r}: shipped definition unreadable: {exc}") from exc
    return document


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(patch)


def merge_report(name: str, base: dict[str, Any], override: Any) -> dict[str, Any]:
    """Apply one report's override: fields replaced, metrics merged by key."""
    if not isinstance(override, dict):
        raise ReportConfigError(f"report {name!r}: override is not a JSON object")
    merged = {k: copy.deepcopy(v) for k, v in base.items() if k != "metrics"}
    for key, value in override.items():
        if key != "metrics":
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
    metrics = [copy.deepcopy(m) for m in base.get("metrics", [])]
    patches = override.get("metrics", [])
    if not isinstance(patches, list):
        raise ReportConfigError(f"report {name!r}: override 'metrics' must be a list")
    for patch in patches:
        if not isinstance(patch, dict) or not isinstance(patch.get("key"), str):
            raise ReportConfigError(f"report {name!r}: every override metric needs a 'key'")
        index = next((i for i, m in enumerate(metrics) if m.get("key") == patch["key"]), None)
        if patch.get("remove") is True:
            if index is None:
                raise ReportConfigError(
                    f"report {name!r}: cannot remove unknown metric {patch['key']!r}"
                )
            del metrics[index]
        elif index is None:
            metrics.append(copy.deepcopy(patch))
        else:
            metrics[index] = _merge(metrics[index], patch)
    merged["metrics"] = metrics
    return merged


def load_reports(overrides: Any = None) -> dict[str, ReportConfig]:
    """Every report, shipped definitions with `overrides` (a parsed document) applied."""
    if overrides is not None and not isinstance(overrides, dict):
        raise ReportConfigError("report overrides must be a JSON object keyed by report name")
    patch_set = (overrides or {}).get("reports", overrides or {})
    if not isinstance(patch_set, dict):
        raise ReportConfigError("report overrides 'reports' must be a JSON object")
    unknown = sorted(set(patch_set) - set(REPORT_NAMES))
    if unknown:
        raise ReportConfigError(
            f"overrides name unknown reports: {', '.join(unknown)} "
            f"(known: {', '.join(REPORT_NAMES)})"
        )
    reports = {}
    for name in REPORT_NAMES:
        document = shipped_document(name)
        if name in patch_set:
            document = merge_report(name, document, patch_set[name])
        reports[name] = parse_report(name, document)
    return reports


# ---------------------------------------------------------------------- overrides


def read_override_document(location: str, *, s3: Any = None, ssm: Any = None) -> Any:
    """Read the overrides document named by `VELOCITY_REPORT_OVERRIDES`; None if empty."""
    location = location.strip()
    if not location:
        return None
    try:
        if location.startswith("s3://"):
            bucket, _, key = location.removeprefix("s3://").partition("/")
            if not bucket or not key:
                raise ReportConfigError(f"report overrides {location!r}: not s3://bucket/key")
            client = s3 or boto3.client("s3")
            text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        else:
            name = location.removeprefix("ssm:")
            if not name.startswith("/"):
                raise ReportConfigError(
                    f"report overrides {location!r}: give s3://bucket/key or an SSM "
                    "parameter name starting with '/'"
                )
            client = ssm or boto3.client("ssm")
            text = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ReportConfigError(f"report overrides {location!r} cannot be read: {code}") from exc
    except BotoCoreError as exc:
        raise ReportConfigError(f"report overrides {location!r} cannot be read: {exc}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ReportConfigError(f"report overrides {location!r} are not JSON: {exc}") from exc


def reports_from(location: str, *, s3: Any = None, ssm: Any = None) -> dict[str, ReportConfig]:
    """The effective reports: shipped, with the overrides at `location` applied."""
    return load_reports(read_override_document(location, s3=s3, ssm=ssm))
