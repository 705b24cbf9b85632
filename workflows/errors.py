"""The errors a verb raises. Each says what happened, why, and what to do, in the user's words;
a verb that raises has changed nothing."""

from __future__ import annotations

from collections.abc import Iterable

from gates.refusals import Refusal

UNCLASSIFIED = "refused"  # the rule id of a refusal given as bare words


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
    """The action is not allowed now. `refusals` lists every reason as a value (its rule id,
    the input field it concerns, its words); `reasons` lists their words."""

    def __init__(
        self, action: str, refusals: Iterable[Refusal | str], project_key: str | None = None
    ) -> None:
        self.action = action
        self.project_key = project_key  # for the trail, when the verb is not given a key
        self.refusals = [
            r if isinstance(r, Refusal) else Refusal(UNCLASSIFIED, None, r) for r in refusals
        ]
        self.reasons = [r.text for r in self.refusals]
        self.recorded = False  # set once the refusal is in the audit trail (refusal_log)
        super().__init__(f"{action} refused: " + " ".join(self.reasons))


class Conflict(LockgateError):
    """Someone else changed the same record at the same moment; reload and try again."""


class AuthenticationFailed(LockgateError):
    """The password typed to re-authenticate does not match; `refusal` names the input."""

    def __init__(self, message: str) -> None:
        self.refusal = Refusal("password.wrong", "password", message)
        super().__init__(message)
