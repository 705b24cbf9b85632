"""The shipped policy library (policies/library/*.yaml) and finding a policy by name or path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from policies.loader import load_policy
from policies.model import Policy
from policies.problems import PolicyError, Problem, did_you_mean

LIBRARY = Path(str(resources.files("policies") / "library"))


def shipped() -> list[str]:
    """The names of the shipped policies: ['lite', 'standard']."""
    return sorted(path.stem for path in LIBRARY.glob("*.yaml"))


def policy_path(name_or_path: str) -> Path:
    """The file for a shipped policy name ('standard') or a path; raises PolicyError if neither."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    if name_or_path in shipped():
        return LIBRARY / f"{name_or_path}.yaml"
    hint = did_you_mean(name_or_path, shipped())
    message = f"no policy file or shipped policy named '{name_or_path}'{hint}"
    raise PolicyError([Problem(name_or_path, 1, 1, "", message)])


def find_policy(name_or_path: str) -> Policy:
    """Load a shipped policy by name, or a policy file by path; raises PolicyError."""
    return load_policy(policy_path(name_or_path))
