"""IAM on the offline stack: every role from template.yaml, enforced on every call.

- `policies`: each function's and state machine's role, expanded by SAM's own
  translator (the library `sam validate` runs), intrinsics resolved locally.
- `evaluate`: IAM's evaluation of a request against a role's policies
  (explicit deny, action and ARN wildcards, condition operators).
- `requests`: what IAM authorises for a request moto receives: the action and
  the resource ARN(s), as the Service Authorization Reference defines them.
- `enforce`: each handler signs its calls with its own role's temporary
  credentials, Step Functions with its state machine's; every call from a role
  is recorded and checked, and a refused call fails with AccessDenied as in AWS.
- `audit`: over the calls a test run recorded, which granted actions are never
  used, and proof that removing any used permission is noticed.
"""
