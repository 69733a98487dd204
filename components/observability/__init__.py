"""Observability: the Prometheus stack, alert rules, Grafana with dashboards as code, Fluentd."""
