"""Report definitions: shipped with the layer, overridable from S3 or SSM, validated whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from revops.velocity.config import (
    ReportConfigError,
    ReportSource,
    SoqlSource,
    load_reports,
    read_override_document,
    reports_from,
)


def test_shipped_boca_report_has_the_seed_metrics_and_windows() -> None:
    boca = load_reports()["boca"]

    assert [m.key for m in boca.metrics] == ["meetings", "opp_dollars", "closed_won"]
    windows = {m.key: m.windows for m in boca.metrics}
    assert windows["meetings"] == ("last", "prior", "6w_avg", "wow_pct")
    assert windows["opp_dollars"] == ("last", "prior", "6w_avg", "wow_pct")
    assert windows["closed_won"] == ("last", "prior", "wow_pct")  # no 6w_avg, as today
    assert all(isinstance(m.source, ReportSource) for m in boca.metrics)
    assert boca.history_file == "boca_velocity_history.json"
    assert boca.page_file == "boca_velocity_latest.html"


def test_shipped_pipeline_report_has_the_seed_metrics_plus_velocity() -> None:
    pipeline = load_reports()["pipeline"]

    assert [m.key for m in pipeline.metrics] == [
        "pipeline_created",
        "accounts_owned",
        "open_opps",
        "win_rate",
        "avg_deal",
        "avg_opp_age",
        "velocity",
    ]
    created = pipeline.metric("pipeline_created")
    assert created.windows == ("last", "prior", "6w_avg", "wow_pct", "vs_avg_pct")
    assert isinstance(created.source, SoqlSource)
    assert created.source.value_expression() == "SUM(Amount)"
    assert [m.point.measure for m in pipeline.point_metrics if m.point] == [
        "accounts_owned",
        "open_opps",
        "win_rate",
        "avg_deal",
        "avg_opp_age",
        "velocity",
    ]
    assert pipeline.metric("velocity").format == "currency_per_day"


def test_an_override_changes_one_field_of_one_metric() -> None:
    reports = load_reports(
        {"boca": {"metrics": [{"key": "meetings", "source": {"report_id": "00O000000000001AAA"}}]}}
    )

    meetings = reports["boca"].metric("meetings")
    assert isinstance(meetings.source, ReportSource)
    assert meetings.source.report_id == "00O000000000001AAA"
    assert meetings.source.aggregate == "RowCount"  # the rest is kept
    assert reports["pipeline"] == load_reports()["pipeline"]


def test_merging_a_soql_source_into_a_report_source_is_rejected_clearly() -> None:
    overrides = {
        "boca": {
            "metrics": [
                {
                    "key": "meetings",
                    "source": {
                        "type": "soql",
                        "object": "Event",
                        "date_field": "ActivityDate",
                        "date_type": "date",
                    },
                }
            ]
        }
    }

    # report_id, aggregate and date_column would merge into a SOQL source: say so.
    with pytest.raises(ReportConfigError, match=r"report 'boca'.*report_id"):
        load_reports(overrides)


def test_an_override_adds_a_metric() -> None:
    boca = load_reports(
        {
            "boca": {
                "metrics": [
                    {
                        "key": "calls",
                        "label": "Calls logged",
                        "windows": ["last", "prior"],
                        "source": {
                            "type": "soql",
                            "object": "Task",
                            "date_field": "ActivityDate",
                            "date_type": "date",
                        },
                    }
                ]
            }
        }
    )["boca"]

    assert [m.key for m in boca.metrics] == ["meetings", "opp_dollars", "closed_won", "calls"]
    calls = boca.metric("calls").source
    assert isinstance(calls, SoqlSource) and calls.value_expression() == "COUNT(Id)"


def test_replacing_a_metric_whole_switches_its_source() -> None:
    boca = load_reports(
        {
            "boca": {
                "metrics": [
                    {"key": "meetings", "remove": True},
                    {
                        "key": "meetings",
                        "label": "Meetings attended",
                        "windows": ["last", "prior", "6w_avg", "wow_pct"],
                        "source": {
                            "type": "soql",
                            "object": "Event",
                            "date_field": "ActivityDate",
                            "date_type": "date",
                            "filters": "Type = 'Meeting'",
                        },
                    },
                    {"key": "closed_won", "remove": True},
                ]
            }
        }
    )["boca"]

    assert [m.key for m in boca.metrics] == ["opp_dollars", "meetings"]
    assert isinstance(boca.metric("meetings").source, SoqlSource)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"forecast": {}}, "unknown reports: forecast"),
        ({"boca": {"metrics": [{"key": "meetings", "windows": ["last", "median"]}]}}, "windows"),
        (
            {"boca": {"metrics": [{"key": "meetings", "source": {"report_id": "bogus"}}]}},
            "report Id",
        ),
        (
            {
                "pipeline": {
                    "metrics": [{"key": "pipeline_created", "source": {"value": "AVG(Amount)"}}]
                }
            },
            "SUM",
        ),
        (
            {"pipeline": {"metrics": [{"key": "win_rate", "point": {"measure": "vibes"}}]}},
            "measure",
        ),
        ({"pipeline": {"metrics": [{"key": "nope", "remove": True}]}}, "unknown metric"),
        ({"pipeline": {"metrics": [{"key": "x", "label": "X"}]}}, "needs either"),
        (
            {
                "pipeline": {
                    "metrics": [{"key": "open_opps", "point": {"filters": "A = 1; DELETE"}}]
                }
            },
            "filters",
        ),
        ({"boca": {"page_file": "../../etc/passwd"}}, "plain file name"),
        ({"boca": []}, "not a JSON object"),
        ([1, 2], "keyed by report name"),
    ],
)
def test_a_bad_override_is_rejected_naming_the_report(overrides: Any, problem: str) -> None:
    with pytest.raises(ReportConfigError, match=problem):
        load_reports(overrides)


# ---------------------------------------------------------------------- S3 and SSM


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


OVERRIDE = {
    "boca": {"metrics": [{"key": "meetings", "source": {"report_id": "00O000000000009AAA"}}]}
}


def test_overrides_are_read_from_s3(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="config-bucket")
    s3.put_object(
        Bucket="config-bucket", Key="config/velocity.json", Body=json.dumps(OVERRIDE).encode()
    )

    reports = reports_from("s3://config-bucket/config/velocity.json", s3=s3)

    source = reports["boca"].metric("meetings").source
    assert isinstance(source, ReportSource) and source.report_id == "00O000000000009AAA"


@pytest.mark.parametrize(
    "name", ["/revops/dev/velocity/reports", "ssm:/revops/dev/velocity/reports"]
)
def test_overrides_are_read_from_ssm(aws: None, name: str) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(
        Name="/revops/dev/velocity/reports", Value=json.dumps(OVERRIDE), Type="String"
    )

    reports = reports_from(name, ssm=ssm)

    source = reports["boca"].metric("meetings").source
    assert isinstance(source, ReportSource) and source.report_id == "00O000000000009AAA"


def test_no_override_location_means_the_shipped_reports(aws: None) -> None:
    assert read_override_document("  ") is None
    assert reports_from("") == load_reports()


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("s3://config-bucket/missing.json", "cannot be read"),
        ("s3://config-bucket/bad.json", "not JSON"),
        ("s3://work", "not s3://bucket/key"),
        ("/revops/dev/velocity/missing", "cannot be read"),
        ("revops-reports", "starting with '/'"),
    ],
)
def test_an_unreadable_override_is_a_configuration_error(
    aws: None, location: str, problem: str
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="config-bucket")
    s3.put_object(Bucket="config-bucket", Key="bad.json", Body=b"{not json")
    ssm = boto3.client("ssm", region_name="us-east-1")

    with pytest.raises(ReportConfigError, match=problem):
        reports_from(location, s3=s3, ssm=ssm)
