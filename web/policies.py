"""Placeholder until the policies pages land (being written now)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("policies", __name__, url_prefix="/policies")
