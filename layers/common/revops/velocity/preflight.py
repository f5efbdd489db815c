"""What the saved reports need from Salesforce, checked rather than assumed.

Salesforce runs a saved report as the user who calls the Reports API, our
integration user, and evaluates its dates in that user's settings:

* a dateTime column is grouped (`dateGranularity` Day, Week...) and filtered
  (relative filters such as `LAST_WEEK`, and CUSTOM ranges) by the user's local
  day, in the user's `TimeZoneSidKey`, DST included (SOQL and SOSL Reference,
  "Date Formats and Date Literals": each literal is "a range of time beginning
  with midnight (00:00:00)" of the user's day; reports follow the same rule);
* a week starts on the first day of the user's locale (`LocaleSidKey`): "when
  the locale is US English, a week runs Sunday to Saturday, whereas with UK
  English, a week spans Monday to Sunday" (Salesforce Help, Relative Date
  Filter Reference). Other locales follow the CLDR week data (`locale_week_start`).

So the saved-report metrics are right only when the integration user's time
zone is `OrgTimeZone` and its locale starts weeks on `VelocityWeekStart`, and
when each report is grouped as its configuration says: by week, then by owner.
StackCheck runs these checks (`check`), and a velocity run with saved-report
metrics refuses with the very same message (`require_user`) rather than
publish numbers shifted by a day. No user setting can make a report group by
another zone's days (there is no hour grouping to re-bucket), so refusing is
the only correct answer; the SOQL metrics do not depend on the user at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from revops.errors import ConfigurationError
from revops.integrations.salesforce import (
    SalesforceGateway,
    SalesforceNotFoundError,
    soql_string,
)
from revops.velocity.config import ReportConfig, ReportSource
from revops.velocity.weeks import Calendar

# CLDR supplemental week data (`firstDay`), by territory; every other territory,
# and a locale without one, starts weeks on Monday.
_FIRST_DAY_BY_TERRITORY: dict[str, str] = {
    **dict.fromkeys(
        [
            "AG",
            "AS",
            "BD",
            "BR",
            "BS",
            "BT",
            "BW",
            "BZ",
            "CA",
            "CO",
            "DM",
            "DO",
            "ET",
            "GT",
            "GU",
            "HK",
            "HN",
            "ID",
            "IL",
            "IN",
            "JM",
            "JP",
            "KE",
            "KH",
            "KR",
            "LA",
            "MH",
            "MM",
            "MO",
            "MT",
            "MX",
            "MZ",
            "NI",
            "NP",
            "PA",
            "PE",
            "PH",
            "PK",
            "PR",
            "PT",
            "PY",
            "SA",
            "SG",
            "SV",
            "TH",
            "TT",
            "TW",
            "UM",
            "US",
            "VE",
            "VI",
            "WS",
            "YE",
            "ZA",
            "ZW",
        ],
        "sunday",
    ),
    **dict.fromkeys(
        ["AE", "AF", "BH", "DJ", "DZ", "EG", "IQ", "IR", "JO", "KW", "LY", "OM", "QA", "SD", "SY"],
        "saturday",
    ),
    "MV": "friday",
}
EXAMPLE_LOCALE = {
    "sunday": "English (United States), en_US",
    "monday": "English (United Kingdom), en_GB",
    "saturday": "Arabic (United Arab Emirates), ar_AE",
    "friday": "Dhivehi (Maldives), dv_MV",
}


class VelocitySettingsError(ConfigurationError):
    """The integration user or a saved report is not set up as the velocity reports
    need; the message names every problem and its fix."""


def locale_week_start(locale: str) -> str:
    """The weekday a LocaleSidKey's weeks start on: en_US -> "sunday", en_GB -> "monday"."""
    territory = next((p for p in locale.split("_")[1:] if len(p) == 2 and p.isalpha()), "")
    return _FIRST_DAY_BY_TERRITORY.get(territory.upper(), "monday")


@dataclass(frozen=True)
class IntegrationUser:
    """The Salesforce user the reports run as, with the settings they run in."""

    username: str
    id: str | None = None
    time_zone: str | None = None
    locale: str | None = None

    @classmethod
    def from_row(cls, username: str, row: Mapping[str, Any] | None) -> IntegrationUser:
        if row is None:
            return cls(username)
        return cls(
            username,
            str(row.get("Id") or "") or None,
            row.get("TimeZoneSidKey"),
            row.get("LocaleSidKey"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "id": self.id,
            "timeZone": self.time_zone,
            "locale": self.locale,
            "weekStart": locale_week_start(self.locale) if self.locale else None,
        }


def user_problems(user: IntegrationUser, calendar: Calendar) -> list[str]:
    """Every way `user`'s settings would shift the saved reports' numbers, with the fix."""
    where = f"in Salesforce Setup > Users, edit {user.username} and set"
    if user.id is None:
        return [
            f"the integration user {user.username} (the secret's username) is not a User this "
            "org returns, so the time zone and locale its reports run in are unknown. "
            "Fix: put the username of the connected app's user in the Salesforce secret"
        ]
    problems = []
    if user.time_zone != calendar.time_zone:
        problems.append(
            f"the integration user {user.username} runs Salesforce reports in time zone "
            f"{user.time_zone}, not OrgTimeZone {calendar.time_zone}: saved reports would count "
            f"a record made late on a Saturday in {calendar.time_zone} on another day, even in "
            f"another week. Fix: {where} Time Zone to {calendar.time_zone} "
            f"(or deploy with OrgTimeZone={user.time_zone} if that is the org's zone)"
        )
    starts = locale_week_start(user.locale or "")
    if starts != calendar.week_start:
        wanted = calendar.week_start
        problems.append(
            f"the integration user {user.username} has locale {user.locale}, whose weeks start "
            f"on {starts.title()}, so saved reports group weeks from {starts.title()}; "
            f"VelocityWeekStart is {wanted}. Fix: {where} Locale to one whose weeks start on "
            f"{wanted.title()}, e.g. {EXAMPLE_LOCALE[wanted]} "
            f"(or deploy with VelocityWeekStart={starts})"
        )
    return problems


def require_user(user: IntegrationUser, calendar: Calendar) -> None:
    """Refuse (VelocitySettingsError) when saved reports would run in other days or weeks."""
    problems = user_problems(user, calendar)
    if problems:
        raise VelocitySettingsError("; ".join(problems))


def grouping_problem(
    metric_key: str, source: ReportSource, metadata: Mapping[str, Any]
) -> str | None:
    """Why a saved report's metadata (from a describe or a run) is not what its
    configuration says, None when it is: grouped by week of the configured date
    column, then by owner, no column groupings, and the configured summary."""
    name = f"{source.report_id} ({metadata.get('name') or 'unnamed'})"
    fix = (
        f"Fix: in Salesforce, edit the report {name} so its rows are grouped first by "
        f"{source.date_column or 'the date'} with Group Dates By: Calendar Week, then by owner, "
        "with no column groups"
    )

    def bad(problem: str) -> str:
        return f"metric {metric_key!r}: saved report {name} {problem}. {fix}"

    groupings = list(metadata.get("groupingsDown") or [])
    if len(groupings) != 2:
        shown = ", ".join(str(g.get("name")) for g in groupings) or "nothing"
        return bad(f"is grouped by {shown}; it must be grouped by week, then by owner")
    by_week, by_owner = groupings
    if str(by_week.get("dateGranularity", "")).lower() != "week":
        return bad(
            f"groups first by {by_week.get('name')} by {by_week.get('dateGranularity')}; "
            "it must group by week first"
        )
    if source.date_column and str(by_week.get("name")) != source.date_column:
        return bad(
            f"groups weeks of {by_week.get('name')}, but its configuration counts "
            f"{source.date_column}"
        )
    if str(by_owner.get("dateGranularity") or "None").lower() != "none":
        return bad(f"groups second by a date ({by_owner.get('name')}); it must group by owner")
    if metadata.get("groupingsAcross"):
        return bad("has column groupings; it must have none")
    aggregates = list(metadata.get("aggregates") or [])
    wanted = source.aggregate or (aggregates[0] if aggregates else None)
    if wanted not in aggregates:
        return bad(f"has no summary {wanted!r} (it has {', '.join(aggregates) or 'none'})")
    return None


# ---------------------------------------------------------------------- StackCheck


@dataclass
class Check:
    """StackCheck's velocity checks: what was read and every problem, with its fix."""

    user: IntegrationUser
    reports: list[dict[str, Any]]
    problems: list[str]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "message": "; ".join(self.problems),
            "problems": self.problems,
            "integrationUser": self.user.as_dict(),
            "savedReports": self.reports,
        }


def read_integration_user(gateway: SalesforceGateway) -> IntegrationUser:
    """The secret's user, with its time zone and locale (one query)."""
    username = gateway.username
    if not username:
        raise VelocitySettingsError(
            "cannot tell which Salesforce user runs the saved reports. Fix: put the "
            "integration user's username in the Salesforce secret"
        )
    soql = (
        "SELECT Id, TimeZoneSidKey, LocaleSidKey FROM User "
        f"WHERE Username = '{soql_string(username)}'"
    )
    rows = list(gateway.query(soql))
    return IntegrationUser.from_row(username, rows[0] if rows else None)


def check(
    gateway: SalesforceGateway,
    calendar: Calendar,
    reports: Mapping[str, ReportConfig],
    describe: Callable[[str], dict[str, Any]] | None = None,
) -> Check:
    """The three checks: the integration user's time zone, its locale's week start, and
    each configured saved report's grouping (one describe per report)."""
    user = read_integration_user(gateway)
    problems = user_problems(user, calendar)
    read = describe or gateway.describe_report
    seen = []
    for report in reports.values():
        for metric in report.window_metrics:
            if not isinstance(metric.source, ReportSource):
                continue
            source = metric.source
            entry: dict[str, Any] = {
                "report": report.name,
                "metric": metric.key,
                "reportId": source.report_id,
            }
            try:
                metadata = read(source.report_id).get("reportMetadata") or {}
            except SalesforceNotFoundError:
                problem: str | None = (
                    f"metric {metric.key!r}: saved report {source.report_id} does not exist in "
                    "this org (or the integration user cannot see it). Fix: share the report's "
                    "folder with the integration user, or point the metric at the right report "
                    "with VelocityReportOverrides"
                )
            else:
                entry["name"] = metadata.get("name")
                problem = grouping_problem(metric.key, source, metadata)
            entry["ok"] = problem is None
            if problem:
                problems.append(problem)
            seen.append(entry)
    return Check(user, seen, problems)
