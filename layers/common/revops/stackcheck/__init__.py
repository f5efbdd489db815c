"""StackCheck: a preflight that proves a deployment can do its job.

It logs in to Salesforce, checks the DocListEntry__c field mapping against
describe, plans the records into chunk files in S3, then probes every chunk in
a Distributed Map: each file URL is parsed and each S3 source is HEADed. Results
land in the tracking table and a summary in the work bucket. It also checks the
velocity settings (`revops.velocity.preflight`: the integration user's time zone
and locale, each saved report's grouping) and fails with VelocitySettingsError,
every problem and its fix, after writing the summary. Run it after every
deployment, before a backup.
"""
