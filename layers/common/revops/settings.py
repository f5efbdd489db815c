"""Settings models read from environment variables that template.yaml sets.

Each function defines one pydantic model; a field `foo_bar` reads `FOO_BAR`.
Secrets never come from here: only the *names* of Secrets Manager secrets do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError

from revops.errors import ConfigurationError


class EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        source = os.environ if env is None else env
        values = {name: source[name.upper()] for name in cls.model_fields if name.upper() in source}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigurationError(f"{cls.__name__}: {exc}") from exc


class AwsSettings(EnvSettings):
    aws_region: str = "us-east-1"
