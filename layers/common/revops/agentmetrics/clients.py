"""Client registry: register a client, read it back, check it has what a call needs."""

from __future__ import annotations

from typing import Protocol

from revops.agentmetrics.errors import ClientNotConfiguredError, ClientNotFoundError
from revops.agentmetrics.models import Client, ClientUpsert, ClientView
from revops.integrations.gohighlevel import StoredToken, TokenVault
from revops.store.agentmetrics import AgentMetricsStore


class HasToken(Protocol):
    def read(self, location_id: str) -> StoredToken | None: ...


def get_client(store: AgentMetricsStore, client_id: str) -> Client:
    item = store.client(client_id)
    if item is None:
        raise ClientNotFoundError(client_id)
    return Client.model_validate(
        {**item.config, "client_id": client_id, "updated_at": item.updated_at}
    )


def all_clients(store: AgentMetricsStore) -> list[Client]:
    return [
        Client.model_validate(
            {**item.config, "client_id": item.client_id, "updated_at": item.updated_at}
        )
        for item in store.clients()
    ]


def upsert_client(
    store: AgentMetricsStore, vault: TokenVault, client_id: str, body: ClientUpsert
) -> ClientView:
    """Store the settings; a refresh token goes to the location's secret, never the table."""
    config = body.model_dump(mode="json", exclude={"refresh_token"})
    if body.refresh_token is not None:
        if not body.location_id:
            raise ClientNotConfiguredError(
                client_id, ["locationId"], "a refresh token belongs to a GoHighLevel location"
            )
        vault.write(body.location_id, StoredToken(body.refresh_token.get_secret_value()))
    store.put_client(client_id, config)
    return view(get_client(store, client_id), vault)


def view(client: Client, vault: HasToken) -> ClientView:
    has_token = bool(client.location_id) and vault.read(client.location_id or "") is not None
    return ClientView(**client.model_dump(), has_refresh_token=has_token)


def require(
    client: Client, vault: HasToken | None, *, calls: bool = False, bookings: bool = False
) -> None:
    """Raise ClientNotConfiguredError naming every setting the requested work lacks.

    `vault` is only read when bookings are wanted (their refresh token)."""
    missing: list[str] = []
    reasons: list[str] = []
    if not client.agents and (calls or bookings):
        missing.append("elevenLabsAgentId")
        reasons.append("metrics are kept per ElevenLabs agent")
    if bookings:
        if not client.location_id:
            missing.append("locationId")
        if not client.cal_id:
            missing.append("calId")
        if not client.location_id or vault is None or vault.read(client.location_id) is None:
            missing.append("refreshToken")
        if client.attribution is None and len(client.agents) > 1:
            missing.append("attribution")
        reasons.append("GoHighLevel appointments need a location, a calendar and its refresh token")
    if missing:
        raise ClientNotConfiguredError(client.client_id, missing, "; ".join(reasons))
