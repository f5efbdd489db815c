"""Opening migrated documents, and the dashboards, for the people Salesforce allows.

Sign-in is Salesforce's OAuth 2.0 web server flow with PKCE (`signin`); one
module owns cookies and sessions (`sessions`); Salesforce decides who may read
which `DocListEntry__c` record (`checks`, with `UserRecordAccess`); documents
are delivered as short-lived presigned links (`documents`); dashboards are
served from the private dashboards bucket (`dashboards`); every open and
refusal is audited (`audit`).
"""
