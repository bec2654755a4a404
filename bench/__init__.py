"""The benchmarks behind ``make bench`` (``bench/run.py`` runs them)."""

import os

# No network but loopback, as in the tests: the Prefect server a benchmark starts would
# otherwise try to send Prefect its telemetry, and log an error each time it cannot.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
