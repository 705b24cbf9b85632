"""The Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Lockgate web application; `test_config` overrides settings in tests."""
    instance = os.environ.get("LOCKGATE_INSTANCE")
    app = Flask("lockgate", instance_path=os.path.abspath(instance) if instance else None)
    app.config.from_mapping(SECRET_KEY=os.environ.get("LOCKGATE_SECRET_KEY", "dev"))
    if test_config:
        app.config.from_mapping(test_config)
    return app
