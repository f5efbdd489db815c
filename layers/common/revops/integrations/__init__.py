"""Clients for external systems: Salesforce, S3 transfers, ElevenLabs, GoHighLevel."""
