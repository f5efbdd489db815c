"""One client-month of ElevenLabs conversations: callHistory rows and the calls part of history.

Per agent, conversations are listed with `call_start_after_unix` /
`call_start_before_unix` set to the month's bounds in the client's time zone,
following the cursor 100 at a time. A conversation's detail is fetched only
when its direction is unknown: the list item carries `direction` for phone
calls; when it is null (a web call, or an API that leaves it out) and no
earlier import recorded it, `metadata.phone_call.direction` of the detail
decides (no phone call means a web call). Web calls count in `totalCalls`
only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from revops.agentmetrics.live.events import phone_direction
from revops.agentmetrics.models import (
    CallsMonthResult,
    CallValues,
    Client,
    Direction,
    derive,
)
from revops.agentmetrics.periods import Period, current_period
from revops.integrations.elevenlabs import ElevenLabsClient, ElevenLabsNotFoundError
from revops.store.agentmetrics import AgentMetricsStore, now_iso


def _summary_direction(summary: dict[str, Any]) -> Direction | None:
    value = summary.get("direction")
    return value if value in ("inbound", "outbound") else None


def _detail_direction(detail: dict[str, Any]) -> Direction:
    return phone_direction((detail.get("metadata") or {}).get("phone_call"))


def _aggregate(rows: list[dict[str, Any]]) -> CallValues:
    total = len(rows)
    duration = sum(int(r["duration_secs"]) for r in rows)
    average, _ = derive(total, duration, 0)
    return CallValues(
        inbound_calls=sum(r["direction"] == "inbound" for r in rows),
        outbound_calls=sum(r["direction"] == "outbound" for r in rows),
        web_calls=sum(r["direction"] == "web" for r in rows),
        total_calls=total,
        total_duration=duration,
        average_duration=average,
    )


def import_calls(
    client: Client,
    period: Period,
    eleven: ElevenLabsClient,
    store: AgentMetricsStore,
    *,
    import_id: str | None = None,
    now: datetime | None = None,
) -> CallsMonthResult:
    """List, record and count every conversation of the client's agents in `period`."""
    tz = client.zone
    start, end = period.bounds(tz)
    after, before = int(start.timestamp()), int(end.timestamp())
    is_current = period == current_period(tz, now)
    agents: dict[str, CallValues] = {}
    conversations = 0
    details = 0
    for agent in client.agents:
        summaries: dict[str, dict[str, Any]] = {}
        for summary in eleven.conversations(agent.agent_id, after, before):
            started = int(summary.get("start_time_unix_secs") or 0)
            if (
                after <= started < before
                and summary.get("agent_id", agent.agent_id) == agent.agent_id
            ):
                summaries[str(summary["conversation_id"])] = summary  # de-duplicated by id
        known = store.calls(summaries)
        directions: dict[str, Direction] = {}
        unknown: list[str] = []
        for conversation_id, summary in summaries.items():
            direction = _summary_direction(summary)
            if direction is None and conversation_id in known:
                direction = known[conversation_id].direction  # type: ignore[assignment]
            if direction is None:
                unknown.append(conversation_id)
            else:
                directions[conversation_id] = direction
        gone: set[str] = set()
        if unknown:
            with ThreadPoolExecutor(max_workers=eleven.max_concurrency) as pool:
                for conversation_id, detail in zip(
                    unknown, pool.map(_fetch(eleven), unknown), strict=True
                ):
                    if detail is None:
                        gone.add(conversation_id)  # deleted since it was listed
                    else:
                        directions[conversation_id] = _detail_direction(detail)
            details += len(unknown)
        rows = [
            {
                "conversation_id": conversation_id,
                "client_id": client.client_id,
                "agent_id": agent.agent_id,
                "agent_name": agent.agent_name,
                "period": str(period),
                "start_time": datetime.fromtimestamp(int(summary["start_time_unix_secs"]), UTC)
                .isoformat()
                .replace("+00:00", "Z"),
                "start_unix": int(summary["start_time_unix_secs"]),
                "duration_secs": int(summary.get("call_duration_secs") or 0),
                "direction": directions[conversation_id],
                "status": str(summary.get("status") or ""),
                "call_successful": str(summary.get("call_successful") or ""),
            }
            for conversation_id, summary in summaries.items()
            if conversation_id not in gone
        ]
        store.put_calls(rows, import_id)
        values = _aggregate(rows)
        agents[agent.agent_id] = values
        conversations += len(rows)
        store.write_part(
            client.client_id,
            str(period),
            agent.agent_id,
            agent.agent_name,
            {
                "inbound_calls": values.inbound_calls,
                "outbound_calls": values.outbound_calls,
                "total_calls": values.total_calls,
                "total_duration": values.total_duration,
            },
            "calls_source",
            {
                "system": "elevenlabs",
                "detail": {
                    "endpoint": "GET /v1/convai/conversations",
                    "agentId": agent.agent_id,
                    "callStartAfterUnix": after,
                    "callStartBeforeUnix": before,
                    "timeZone": client.time_zone,
                    "conversations": len(rows),
                    "detailsFetched": len(unknown),
                },
                "importedAt": now_iso(),
                "importId": import_id,
            },
            is_current=is_current,
        )
    store.mark_period(client.client_id, str(period), "calls")
    return CallsMonthResult(
        period=str(period), conversations=conversations, details_fetched=details, agents=agents
    )


def _fetch(eleven: ElevenLabsClient) -> Any:
    def fetch(conversation_id: str) -> dict[str, Any] | None:
        try:
            return eleven.conversation(conversation_id)
        except ElevenLabsNotFoundError:
            return None

    return fetch
