"""Prometheus metrics of one gateway app (a registry per app, so several apps in one process don't collide)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics"]

_MS_BUCKETS = (0.25, 0.5, 1, 2, 3, 5, 8, 15, 30, 60, 120, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)


class GatewayMetrics:
    """Counters and latency histograms. Labels never carry user content or identities."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hegui_requests", "Requests by endpoint and outcome", ["endpoint", "outcome"], registry=self.registry
        )
        self.decisions = Counter(
            "hegui_moderation_decisions", "Moderation decisions by stage and action", ["stage", "action"],
            registry=self.registry,
        )
        self.detector_failures = Counter(
            "hegui_detector_failures", "Detector runs that failed (never counted as run)", ["detector"],
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "hegui_upstream_errors", "Upstream calls that failed, by kind", ["upstream", "kind"], registry=self.registry
        )
        self.phase_ms = Histogram(
            "hegui_phase_milliseconds", "Time spent per phase of a request", ["phase"], buckets=_MS_BUCKETS,
            registry=self.registry,
        )
        self.overdue = Gauge(
            "hegui_overdue", "Open items past their deadline: complaint tickets, personal-information requests, "
            "remediation cases (three months)", ["kind"], registry=self.registry,
        )
        self.review_open = Gauge(
            "hegui_review_items_open", "Exchanges flagged for review that no reviewer has cleared or escalated yet "
            "(the console's flagged-content queue)", registry=self.registry,
        )
        self.stream_checks = Counter(
            "hegui_stream_checks", "Windows of streamed output checked before release", registry=self.registry
        )

        # label children by label values (all from small fixed sets): labels() costs microseconds a call
        self._children: dict[tuple[str, ...], Any] = {}

    def _child(self, metric: Any, *values: str) -> Any:
        key = (str(id(metric)), *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def observe_phase(self, phase: str, ms: float) -> None:
        self._child(self.phase_ms, phase).observe(ms)

    def count_request(self, endpoint: str, outcome: str) -> None:
        self._child(self.requests, endpoint, outcome).inc()

    def count_decision(self, stage: str, action: str) -> None:
        self._child(self.decisions, stage, action).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
