"""Parsing workflow and API inputs into models, with one clear error type."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from revops.errors import InvalidInputError


def parse[M: BaseModel](model: type[M], data: Any) -> M:
    """Validate `data` as `model`; any problem becomes an InvalidInputError naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<input>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInputError(f"invalid {model.__name__}: {problems}") from exc
