"""Client routes: register a client (its refresh token goes to Secrets Manager), read it back."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from revops.agentmetrics import clients
from revops.agentmetrics.api.core import app, services
from revops.agentmetrics.api.docs import (
    BODY_ERRORS,
    COMMON_ERRORS,
    NOT_FOUND,
    UPSTREAM,
    ok_doc,
)
from revops.agentmetrics.envelopes import Envelope
from revops.agentmetrics.models import (
    ID_PATTERN,
    ClientUpsert,
    ClientView,
)
from revops.observability import logger


@app.put(
    "/admin/clients/<clientId>",
    summary="Register or update a client (the refresh token goes to Secrets Manager)",
    responses={**ok_doc(Envelope[ClientView], "Saved"), **BODY_ERRORS, **COMMON_ERRORS, **UPSTREAM},
    tags=["clients"],
)
def put_client(
    client_id: Annotated[str, Path(alias="clientId", pattern=ID_PATTERN, max_length=128)],
    body: ClientUpsert,
) -> Envelope[ClientView]:
    svc = services()
    saved = clients.upsert_client(svc.store, svc.vault, client_id, body)
    logger.info("client saved", client_id=client_id)
    return Envelope(message="Client saved", data=saved)


@app.get(
    "/admin/clients/<clientId>",
    summary="A client's settings (never its tokens)",
    responses={**ok_doc(Envelope[ClientView], "Client"), **COMMON_ERRORS, **NOT_FOUND, **UPSTREAM},
    tags=["clients"],
)
def get_client(
    client_id: Annotated[str, Path(alias="clientId", pattern=ID_PATTERN, max_length=128)],
) -> Envelope[ClientView]:
    svc = services()
    client = clients.get_client(svc.store, client_id)
    return Envelope(message="Client retrieved", data=clients.view(client, svc.vault))
