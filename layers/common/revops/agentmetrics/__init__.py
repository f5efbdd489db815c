"""Voice-agent metrics: ElevenLabs calls and GoHighLevel bookings per agent and month.

Clients, call history, monthly history and the current month live in the
AgentMetricsTable (`revops.store.agentmetrics`). The admin HTTP API
(`api.py`) answers short calls itself and starts the `AgentMetricsImport`
workflow (`imports.py`) for long ones.
"""
