"""Secrets Manager reads, cached for the life of a warm Lambda container."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

from revops.errors import ConfigurationError

# Rotation-safe: a warm container re-reads a secret after this many seconds.
_MAX_AGE_SECONDS = 300


def get_json_secret(name: str, *, force_fetch: bool = False) -> dict[str, Any]:
    try:
        value = parameters.get_secret(
            name, transform="json", max_age=_MAX_AGE_SECONDS, force_fetch=force_fetch
        )
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigurationError(f"secret {name!r} cannot be read: {exc}") from exc
    except parameters.exceptions.TransformParameterError as exc:
        raise ConfigurationError(f"secret {name!r} is not a JSON object") from exc
    if not isinstance(value, dict):
        raise ConfigurationError(f"secret {name!r} is not a JSON object")
    return value
