"""Typed errors of the voice-agent metrics domain.

Class names are part of the workflow contract (Step Functions `Retry`/`Catch`
match `errorType`, the class name) and of the HTTP API (`api.py` maps each
to a status code once).
"""

from __future__ import annotations

from revops.errors import InvalidInputError, RevopsError


class ClientNotFoundError(RevopsError):
    """No client with this clientId is registered (HTTP 404)."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"client {client_id!r} does not exist")
        self.client_id = client_id


class ClientNotConfiguredError(InvalidInputError):
    """The client lacks a setting this call needs (HTTP 422): names every missing setting."""

    def __init__(self, client_id: str, missing: list[str], why: str) -> None:
        names = ", ".join(missing)
        super().__init__(f"client {client_id!r} is missing {names} ({why})")
        self.client_id = client_id
        self.missing = missing


class ImportNotFoundError(RevopsError):
    """No import (workflow execution) with this id exists (HTTP 404)."""

    def __init__(self, import_id: str) -> None:
        super().__init__(f"import {import_id!r} does not exist")
        self.import_id = import_id
