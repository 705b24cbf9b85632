"""Placeholder until the audit pages land (being written now)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
