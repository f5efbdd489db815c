"""Reading records back from Salesforce: by Id range for dense batches, by ids otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from revops.integrations.salesforce import SalesforceGateway
from revops.migration.cutover.writer import READ_BATCH_SIZE
from revops.migration.models import (
    BatchRef,
    DocMapping,
)

IN_QUERY_IDS = 500  # `records_by_id` reads 500 ids a query (the REST URI's length)


@dataclass
class ReadGroup:
    batches: list[BatchRef]
    span: BatchRef  # the group's Id range (when every batch has one)


def read_groups(batches: list[BatchRef]) -> Iterator[ReadGroup]:
    """Consecutive batches, up to one 2,000-record page together, to read back at once."""
    group: list[BatchRef] = []

    def close() -> ReadGroup:
        dense = all(b.first_id and b.last_id for b in group)
        span = BatchRef(
            index=group[0].index,
            key=group[0].key,
            records=sum(b.records for b in group),
            first_id=group[0].first_id if dense else None,
            last_id=group[-1].last_id if dense else None,
            account_id=group[0].account_id,
        )
        return ReadGroup(list(group), span)

    for batch in batches:
        if group and sum(b.records for b in group) + batch.records > READ_BATCH_SIZE:
            yield close()
            group = []
        group.append(batch)
    if group:
        yield close()


def current_urls(
    gateway: SalesforceGateway, mapping: DocMapping, ids: list[str], batch: BatchRef
) -> dict[str, Any]:
    """The URL Salesforce holds now for each of `ids` (absent: deleted).

    A batch the plan cut from every record of the object (or of one account), in
    Id order, is read back by its Id range: 2,000 records a call, where a list of
    ids takes 500 a call. A sparse batch (a rollback of given records or from an
    export) is read by its ids, and so are the few a range read did not return
    (deleted, or moved to another account since the plan), so that each answer
    is the record's own.
    """
    if not (batch.first_id and batch.last_id and len(ids) > IN_QUERY_IDS):
        return _by_ids(gateway, mapping, ids)
    where = f"Id >= '{batch.first_id}' AND Id <= '{batch.last_id}'"
    if batch.account_id:
        where += f" AND {mapping.account_field} = '{batch.account_id}'"
    wanted = set(ids)
    soql = f"SELECT Id, {mapping.url_field} FROM {mapping.sobject} WHERE {where} ORDER BY Id"
    found = {
        str(r["Id"]): r.get(mapping.url_field)
        for r in gateway.query(soql)
        if str(r["Id"]) in wanted
    }
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(_by_ids(gateway, mapping, missing))
    return found


def _by_ids(gateway: SalesforceGateway, mapping: DocMapping, ids: list[str]) -> dict[str, Any]:
    return {
        str(r["Id"]): r.get(mapping.url_field)
        for r in gateway.records_by_id(mapping.sobject, ids, ["Id", mapping.url_field])
    }
