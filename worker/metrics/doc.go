// Package metrics defines the worker's Prometheus collectors and serves
// /metrics, /healthz and /readyz. Collectors are registered on an injected
// prometheus.Registerer so each test has a fresh registry. Label values are
// bounded: queue, rule id, mode, reason, category, channel; never a
// complaint, merchant or buyer id.
package metrics
