"""GoHighLevel routes: the integration test the seed asks for first when GoHighLevel fails."""

from __future__ import annotations

from revops.agentmetrics import clients, ghl_check
from revops.agentmetrics.api.core import app, services
from revops.agentmetrics.api.docs import COMMON_ERRORS, NOT_FOUND, ClientIdQuery, ok_doc
from revops.agentmetrics.envelopes import Envelope
from revops.agentmetrics.models import IntegrationReport
from revops.observability import logger


@app.get(
    "/admin/ghl/test-integration",
    summary="Test a client's GoHighLevel integration: token refresh, calendar, rate-limit headers",
    description=(
        "Runs every check and reports each one (`data.checks`), in the seed's envelope; "
        "200 whether the checks pass or not (`data.success` says), 404 for an unknown "
        "client. The refresh-token check exchanges the stored refresh token, under the "
        "location's refresh lock, and stores the new one before anything uses it."
    ),
    responses={
        **ok_doc(Envelope[IntegrationReport], "Every check, passed or not"),
        **COMMON_ERRORS,
        **NOT_FOUND,
    },
    tags=["gohighlevel"],
)
def ghl_test_integration(client_id: ClientIdQuery) -> Envelope[IntegrationReport]:
    svc = services()
    client = clients.get_client(svc.store, client_id)
    report = ghl_check.run_checks(
        client,
        lambda location: svc.vault.read(location) is not None,
        svc.ghl_for,
        svc.now(),
    )
    logger.info(
        "GoHighLevel integration tested",
        client_id=client_id,
        failed=[c.name for c in report.checks if not c.passed],
    )
    return Envelope(message=ghl_check.message(report), data=report)
