"""Scorecards, QA sampling and reviews, automatic checks, calibration and disputes."""

from __future__ import annotations
