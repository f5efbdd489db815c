"""Binding PynamoDB models to tables chosen at run time."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class TrackingModel(Model):
    """Base for every item in the tracking table (single-table design).

    Keys: `pk`/`sk`, two generic GSIs (`gsi1`, `gsi2`) and TTL on `expires_at`;
    the key schema itself lives in template.yaml.
    """

    class Meta:
        table_name = "unbound"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)


def bind(model: type[Model], table_name: str, region: str) -> None:
    """Point a model (and its subclasses' shared Meta) at a table."""
    if model.Meta.table_name != table_name or model.Meta.region != region:
        model.Meta.table_name = table_name
        model.Meta.region = region
    pending = [model]
    while pending:  # every subclass caches its own connection
        cls = pending.pop()
        cls._connection = None
        pending.extend(cls.__subclasses__())
