"""Settings of every voice-agent metrics function, from template.yaml."""

from __future__ import annotations

from revops.agentmetrics.models import DEFAULT_BOOKED_STATUSES
from revops.settings import AwsSettings


class AgentMetricsSettings(AwsSettings):
    agent_metrics_table: str
    elevenlabs_secret_name: str = ""
    gohighlevel_secret_name: str = ""
    # Per-location GoHighLevel tokens live in `<prefix>/<locationId>`.
    gohighlevel_token_secret_prefix: str = ""
    admin_api_secret_name: str = ""
    agent_metrics_import_arn: str = ""
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    gohighlevel_base_url: str = "https://services.leadconnectorhq.com"
    # Appointment statuses that count as bookings (comma-separated); a client may override.
    booked_statuses: str = ",".join(DEFAULT_BOOKED_STATUSES)
    # The realistic booking-rate range (percent of calls) that validation accepts.
    min_booking_rate: float = 0.0
    max_booking_rate: float = 60.0
    # A GoHighLevel events window returning this many events is split and asked again
    # (the endpoint has no paging and truncates silently).
    ghl_max_events_per_window: int = 100
    # Client-side pacing and retries for both APIs.
    http_timeout_seconds: float = 30.0
    retry_base_seconds: float = 1.0
    max_attempts: int = 6
    elevenlabs_max_concurrency: int = 4
    default_batch_size: int = 3
    # Live tracking: `{"elevenlabs_secret", "gohighlevel_public_key"}` and the queue between
    # the webhook receiver and the consumer.
    webhook_secret_name: str = ""
    webhook_queue_url: str = ""
    webhook_max_body_bytes: int = 1024 * 1024

    def booked_status_list(self) -> list[str]:
        return [s.strip() for s in self.booked_statuses.split(",") if s.strip()]
