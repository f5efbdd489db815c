"""Phase 2: cutover (rewrite URLs to our copies) and rollback (restore the originals).

Both directions share one shape: plan → update → validate → finish.

- **Never a broken link.** A record is switched to our URL only when our object
  exists (HEAD just before the write) and Salesforce still holds the URL we
  backed up. Anything else is a *conflict*: reported, never overwritten.
- **Every change is reversible.** Before any write, the cutover writes a
  rollback export (record id, original URL, new URL) to S3; rollback works from
  that export or from the tracking table.
- **Exactly once.** A record is written only when Salesforce holds the expected
  old value; a rerun after a crash finds records already holding the new value
  and repairs their tracking without writing to Salesforce again.
- **API economy.** Up to `bulk_threshold` records go through sObject
  Collections (200 per call); more go through Bulk API 2.0 ingest jobs of
  10,000. Reads use 2,000-record pages.
"""

from revops.migration.cutover.finish import finish_run, our_url_prefix, validate
from revops.migration.cutover.planning import plan_cutover, plan_rollback
from revops.migration.cutover.start import (
    NotReadyError,
    PhaseTwoDefaults,
    refusal_message,
    start_run,
)
from revops.migration.cutover.update import update_batch

__all__ = [
    "NotReadyError",
    "PhaseTwoDefaults",
    "finish_run",
    "our_url_prefix",
    "plan_cutover",
    "plan_rollback",
    "refusal_message",
    "start_run",
    "update_batch",
    "validate",
]
