"""revops: the shared package of the serverless revenue-operations application.

Ships as the `common` Lambda layer and is importable as `revops` from /opt/python.
"""
