"""Placeholder until the projects pages land (being written now)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("projects", __name__, url_prefix="/projects")
