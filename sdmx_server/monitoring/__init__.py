"""Operating the server: health checks, Prometheus metrics and structured request logs (docs/operations.md)."""
