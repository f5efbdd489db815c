"""Weekly sales velocity: the Boca and Pipeline reports, their week-keyed history and dashboards."""
