"""The one logger, tracer and metrics object every handler uses.

Configured entirely by the POWERTOOLS_* variables in template.yaml's Globals.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
