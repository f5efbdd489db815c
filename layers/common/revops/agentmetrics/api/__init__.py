"""The admin HTTP API (API Gateway HTTP API, payload 2.0) for the voice-agent metrics.

`core` holds the resolver, the seed's envelopes and the error mapping (the table
is the OpenAPI description, in `docs`); `bootstrap`, `reports`, `clients` and
`ghl` hold the routes, one module per OpenAPI tag. The bearer token is checked
before any of it, by the Lambda authorizer (`functions/authorize_admin`).
"""

from __future__ import annotations

from revops.agentmetrics.api import bootstrap, clients, ghl, reports  # noqa: F401  (registers the routes)
from revops.agentmetrics.api.core import Services, app, handle
from revops.agentmetrics.api.docs import openapi_document
from revops.agentmetrics.envelopes import Envelope, ErrorEnvelope

__all__ = ["Envelope", "ErrorEnvelope", "Services", "app", "handle", "openapi_document"]
