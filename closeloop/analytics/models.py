"""Metric definitions, alert rules, alerts and corrective actions."""

from __future__ import annotations
