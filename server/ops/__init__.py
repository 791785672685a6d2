"""What operators use: the liveness and readiness probes and the Prometheus metrics."""
