"""Live tracking: provider webhooks keep the current month's numbers moving.

`receiver` (behind API Gateway) verifies each webhook's signature over the raw body,
turns the event into a small queue message (`events`) and answers 200 at once; the
consumer Lambda reads the queue in batches and `apply` writes each event exactly once
(a DynamoDB transaction keyed by the provider's conversation or appointment id), so
callHistory and the month's numbers move together. The monthly sync then reconciles
what webhooks recorded with the provider APIs (`store.agentmetrics.write_part`).
"""
