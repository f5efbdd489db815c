"""Binding PynamoDB models to tables chosen at run time."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class Gsi1(GlobalSecondaryIndex[Any]):
    """Listing by a parent: files by account, runs by time, errors by time."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    """Listing by state: files by migration phase, errors by type."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


# Each model declares its own index instances (`by_parent = Gsi1()`): PynamoDB
# binds an index to the class that declares it, so query results come back as
# that class.


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
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """One connection, so one botocore client, for every item type of the table.

        PynamoDB gives each model class its own, each with a botocore session of its
        own that loads the DynamoDB service model again: about a twentieth of a
        second of CPU per class in every Lambda container, which a copy worker pays
        in its first chunk.
        """
        if cls is _TrackingTable:
            return super()._get_connection()
        return _TrackingTable._get_connection()


class _TrackingTable(TrackingModel):
    """The table as one connection sees it: its keys and both GSIs."""

    by_parent = Gsi1()
    by_state = Gsi2()


def bind(model: type[Model], table_name: str, region: str) -> None:
    """Point a model (and its subclasses' shared Meta) at a table."""
    if model.Meta.table_name == table_name and model.Meta.region == region:
        return  # keep the pooled connections of a warm container
    model.Meta.table_name = table_name
    model.Meta.region = region
    pending = [model]
    while pending:  # every subclass caches its own connection
        cls = pending.pop()
        cls._connection = None
        pending.extend(cls.__subclasses__())
