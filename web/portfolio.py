"""Placeholder until the portfolio pages land (being written now)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("portfolio", __name__, url_prefix="/portfolio")
