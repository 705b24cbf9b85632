"""Placeholder until the approvals pages land (being written now)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("approvals", __name__, url_prefix="/approvals")
