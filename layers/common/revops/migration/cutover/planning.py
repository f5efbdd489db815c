"""Planning a cutover or a rollback: compare every record with the backup, before any write."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from revops.integrations.objects import DocumentStore, ObjectNotFoundError
from revops.integrations.salesforce import SalesforceGateway
from revops.migration.cutover.start import NotReadyError, refusal_message
from revops.migration.cutover.writer import (
    READ_BATCH_SIZE,
    PlanWriter,
    mark_tracking,
    mode_for,
    pages,
)
from revops.migration.link_mode import OurLinks
from revops.migration.models import (
    DocMapping,
    PhaseTwoConfig,
    PhaseTwoCounts,
    PhaseTwoPlan,
    UrlChange,
)
from revops.migration.plan import check_mapping
from revops.migration.remedies import NO_BACKUP, describe_kind
from revops.store.migration import FileItem, MigrationStore

EXCLUDED_BY_POLICY = frozenset({"too_large", "filtered"})


def plan_cutover(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    links: OurLinks | None = None,
) -> PhaseTwoPlan:
    """Plan the switch to our links (`LinkMode`; without `links`, the object URLs)."""
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    where = f" WHERE {mapping.account_field} = '{config.account_id}'" if config.account_id else ""
    total = gateway.count(f"SELECT COUNT() FROM {mapping.sobject}{where}")
    mode, batch_size = mode_for(config, total)
    soql = f"SELECT Id, {mapping.url_field} FROM {mapping.sobject}{where} ORDER BY Id"
    records = gateway.bulk_query(mapping.sobject, soql) if mode == "bulk" else gateway.query(soql)
    writer = PlanWriter(documents, config, batch_size, dense=True)
    counts = PhaseTwoCounts()
    uncovered: list[str] = []
    errors = []
    # A dry run's catch-up backup copied nothing; the live one would back these up first.
    catch_up = _catch_up_plan(documents, config) if config.dry_run else {}
    scanned_with_backup = 0
    for page in pages(records):
        tracked = {item.doclist_entry_id: item for item in store.files([r["Id"] for r in page])}
        repairs: list[FileItem] = []
        for record in page:
            counts.scanned += 1
            record_id, current = str(record["Id"]), record.get(mapping.url_field)
            item = tracked.get(record_id)
            planned = catch_up.get(record_id)
            if planned is not None and (item is None or item.status != "backed_up"):
                # Dry run: the live run's catch-up backup decides this record first.
                if planned in EXCLUDED_BY_POLICY:
                    counts.excluded += 1
                else:
                    counts.backed_up_first += 1
                continue
            if item is None:
                counts.not_backed_up += 1  # never seen by a backup: refuse below
                if len(uncovered) < 20:
                    uncovered.append(record_id)
                continue
            if item.status == "excluded":
                counts.excluded += 1  # decided by the backup policy: keeps its URL
                continue
            if item.status != "backed_up" or not item.your_s3_url:
                counts.backup_failed += 1  # a known, recorded failure: left as it is
                continue
            scanned_with_backup += 1
            if current in (links.forms(item) if links else {item.your_s3_url}):
                if item.migration_phase != 2:
                    repairs.append(item)
                    counts.repaired += 1
                else:
                    counts.already_done += 1
            elif current == item.original_url:
                counts.planned += 1
                ours = links.written(item) if links else item.your_s3_url
                writer.change(
                    UrlChange(id=record_id, expected=current, to=ours, key=item.your_s3_key)
                )
            else:
                counts.conflicts += 1
                writer.conflict(
                    record_id, current, item.original_url, "changed in Salesforce after backup"
                )
                errors.append(
                    store.new_error(
                        config.run_id,
                        record_id,
                        "conflict",
                        "the URL in Salesforce changed after the backup; left untouched",
                        current,
                    )
                )
        if repairs and not config.dry_run:
            mark_tracking(store, repairs, "cutover", config.run_id)
    if errors and not config.dry_run:
        store.save_errors(errors)
    # Tracked backups whose record Salesforce no longer has.
    counts.deleted_in_salesforce = max(
        0, store.count_backed_up(config.account_id) - scanned_with_backup
    )
    refusal = list(config.would_refuse)
    if counts.not_backed_up:
        refusal.append(describe_kind(NO_BACKUP, counts.not_backed_up, uncovered))
    plan = writer.finish(mode, counts, refusal)
    store.record_plan(config.run_id, plan.model_dump(by_alias=True, exclude={"batches"}))
    if refusal and not config.dry_run:
        raise NotReadyError(refusal_message(refusal))
    return plan


def _catch_up_plan(documents: DocumentStore, config: PhaseTwoConfig) -> dict[str, str]:
    """What the (dry-run) catch-up backup planned: record id -> reason (`new`, `too_large`...)."""
    if not config.catch_up_run_id:
        return {}
    try:
        text = documents.get_text(f"backup/{config.catch_up_run_id}/plan.csv")
    except ObjectNotFoundError:
        return {}
    return {row["id"]: row["reason"] for row in csv.DictReader(text.splitlines())}


def _rollback_candidates(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    our_prefix: str,
    links: OurLinks | None = None,
) -> Iterator[list[tuple[dict[str, Any], FileItem | None, str | None, str | None]]]:
    """Pages of (salesforce record, tracking item, our URL, original URL)."""
    if config.source_run_id:
        export = (
            documents.s3.get_object(
                Bucket=documents.bucket, Key=f"cutover/{config.source_run_id}/rollback.csv"
            )["Body"]
            .read()
            .decode()
        )
        rows = list(csv.DictReader(export.splitlines()))
        for start in range(0, len(rows), READ_BATCH_SIZE):
            chunk = rows[start : start + READ_BATCH_SIZE]
            current = {
                r["Id"]: r
                for r in gateway.records_by_id(
                    mapping.sobject, [c["record_id"] for c in chunk], ["Id", mapping.url_field]
                )
            }
            tracked = {i.doclist_entry_id: i for i in store.files([c["record_id"] for c in chunk])}
            yield [
                (
                    current.get(c["record_id"], {"Id": c["record_id"], "_deleted": True}),
                    tracked.get(c["record_id"]),
                    c["new_url"],
                    c["original_url"],
                )
                for c in chunk
            ]
        return
    prefixes = links.prefixes() if links else [our_prefix]
    conditions = ["(" + " OR ".join(f"{mapping.url_field} LIKE '{p}%'" for p in prefixes) + ")"]
    if config.account_id:
        conditions.append(f"{mapping.account_field} = '{config.account_id}'")
    if config.record_ids:
        conditions.append("Id IN (" + ",".join(f"'{i}'" for i in config.record_ids) + ")")
    soql = (
        f"SELECT Id, {mapping.url_field} FROM {mapping.sobject} "
        f"WHERE {' AND '.join(conditions)} ORDER BY Id"
    )
    for page in pages(gateway.query(soql)):
        tracked = {i.doclist_entry_id: i for i in store.files([r["Id"] for r in page])}
        yield [
            (
                r,
                tracked.get(r["Id"]),
                _ours(r.get(mapping.url_field), tracked.get(r["Id"]), links),
                (tracked[r["Id"]].original_url if r["Id"] in tracked else None),
            )
            for r in page
        ]


def _ours(current: str | None, item: FileItem | None, links: OurLinks | None) -> str | None:
    """The URL of ours the record holds (either link form), else the one we would write."""
    if item is None:
        return None
    if links is None:
        return item.your_s3_url
    return current if current in links.forms(item) else links.written(item)


def plan_rollback(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    our_prefix: str,
    links: OurLinks | None = None,
) -> PhaseTwoPlan:
    """Restore original URLs where Salesforce still holds ours; everything else is reported."""
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    batches = list(
        _rollback_candidates(config, gateway, documents, store, mapping, our_prefix, links)
    )
    expected = sum(len(b) for b in batches)
    mode, batch_size = mode_for(config, expected)
    # From the tracking, without a list of ids, the plan walked the records in Id order.
    dense = not config.source_run_id and not config.record_ids
    writer = PlanWriter(documents, config, batch_size, dense=dense)
    counts = PhaseTwoCounts()
    for page in batches:
        repairs: list[FileItem] = []
        for record, item, ours, original in page:
            counts.scanned += 1
            record_id = str(record["Id"])
            current = record.get(mapping.url_field)
            if record.get("_deleted"):
                counts.deleted_in_salesforce += 1
            elif not original:
                counts.conflicts += 1
                writer.conflict(record_id, current, None, "no original URL is tracked for it")
            elif current == ours:
                counts.planned += 1
                writer.change(UrlChange(id=record_id, expected=current, to=original))
            elif current == original:
                if item is not None and item.migration_phase != 1:
                    repairs.append(item)
                    counts.repaired += 1
                else:
                    counts.already_done += 1
            else:
                counts.conflicts += 1
                writer.conflict(record_id, current, ours, "changed in Salesforce after cutover")
        if repairs and not config.dry_run:
            mark_tracking(store, repairs, "rollback", config.run_id)
    plan = writer.finish(mode, counts)
    store.record_plan(config.run_id, plan.model_dump(by_alias=True, exclude={"batches"}))
    return plan
