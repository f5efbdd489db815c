"""A fake Salesforce org speaking the real wire protocols, for tests and the local stack.

`FakeOrg` (see `org.py`) answers simple-salesforce, and any client built on
`revops.integrations.transport.new_session()` once installed, in-process:
JWT bearer login, describe, SOQL (`query`, `queryAll`, paging), records and
sObject Collections, Bulk API 2.0 ingest and query, Analytics reports,
`/limits` and `Sforce-Limit-Info`, with fault injection; the Composite
resource; record-level sharing and `UserRecordAccess` (`sharing.py`,
`record_access.py`); and the browser's OAuth 2.0 web server flow with PKCE,
`userinfo` and `revoke` (`web_auth.py`).

    from local.salesforce import FakeOrg

    org = FakeOrg.with_standard_objects()      # User, Account, Contact, Lead,
    org.clock = datetime(2025, 11, 12, 14, tzinfo=UTC)  # Opportunity, Event, Task,
    rep = org.add_user("Ann Lee", "ann@example.com")    # DocListEntry__c
    acme = org.insert("Account", {"Name": "Acme", "OwnerId": rep})
    org.insert("DocListEntry__c", {"Name": "Contract", "Account__c": acme,
                                   "Document__c": "s3://bucket/key.pdf", "File_Size__c": 1234})
    org.declare_object("Invoice__c", {"Total__c": "currency", "Account__c": "reference:Account"})
    org.add_report("00O000000000001AAA", "Won by week", sobject="Opportunity",
                   date_field="CloseDate", owner_field="OwnerId", aggregate="s!Amount",
                   filters="IsWon = true")

    org.sharing.set_model("DocListEntry__c", "Private")   # who may read what
    org.sharing.share(record_id, rep)                      # a manual share
    org.web.register_app("client-id", "secret", ["https://docs.example/auth/callback"])
    org.web.set_password("ann@example.com", "pw")         # for the login page

    sf = org.client()                           # simple_salesforce.Salesforce, logged in
    with org:                                   # install() ... uninstall()
        ...                                     # transport.new_session() reaches the org

Seeding values may be Python values or the strings the API uses
(`"2025-11-03"`, `"2025-11-03T09:00:00.000+0000"`); `get`/`records` return
Python values (`date`, aware UTC `datetime`, `float`, `bool`).
"""

from local.salesforce.errors import RecordError, SalesforceApiError
from local.salesforce.org import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_INSTANCE_URL,
    DEFAULT_LOGIN_URL,
    DEFAULT_USERNAME,
    FakeOrg,
    private_key_pem,
)

__all__ = [
    "DEFAULT_CONSUMER_KEY",
    "DEFAULT_INSTANCE_URL",
    "DEFAULT_LOGIN_URL",
    "DEFAULT_USERNAME",
    "FakeOrg",
    "RecordError",
    "SalesforceApiError",
    "private_key_pem",
]
