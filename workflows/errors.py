"""The errors a verb raises. Each says what happened, why, and what to do, in the user's words;
a verb that raises has changed nothing."""

from __future__ import annotations

from collections.abc import Iterable


class LockgateError(Exception):
    """Base of every refusal a verb can raise."""


class NotFound(LockgateError):
    """The project, user, gate or review named does not exist (or is not visible)."""


class InvalidInput(LockgateError):
    """The input is malformed; `problems` maps a field to what is wrong with it."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        self.problems = dict(problems or {})
        details = "; ".join(f"{k}: {v}" for k, v in self.problems.items())
        super().__init__(f"{message}: {details}" if details else message)


class Refused(LockgateError):
    """The action is not allowed now; `reasons` lists every reason, in words."""

    def __init__(self, action: str, reasons: Iterable[str]) -> None:
        self.action = action
        self.reasons = list(reasons)
        super().__init__(f"{action} refused: " + " ".join(self.reasons))


class Conflict(LockgateError):
    """Someone else changed the same record at the same moment; reload and try again."""


class AuthenticationFailed(LockgateError):
    """The password typed to re-authenticate does not match."""
