"""PynamoDB models and repositories: the only place PynamoDB appears.

Table names come from settings at run time (`bind`), never at import time, so
the same models serve AWS, the local stack and tests.
"""
