"""Bounds on the free text a verb takes, each limit declared once.

Two kinds of text: one-line values (names, titles, addresses, owners), and long text
(reasons, comments, justifications, notes). Both are stripped, bounded in length and refused
when they hold control characters; one-line values also refuse the invisible characters that
reverse the direction of text (U+202A-U+202E, U+2066-U+2069), which can make a name read
differently from what is stored. Pure: no I/O. A refusal is InvalidInput naming the field, the
key the portal uses to put the message next to its input. The portal's forms import these
limits for their Length validators, so a form and its verb never disagree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from gates.decisions import FollowUp
from policies.facts import BOUNDS
from policies.limits import MAX_IDENTIFIER_CHARS
from policies.model import FactType
from workflows.errors import InvalidInput

SHORT_TEXT = 200
"""A name, a title, a display name, an e-mail address, the owner of a follow-up."""

LONG_TEXT = 4000
"""A reason, a comment, a justification, a note."""

URL = 2000
"""A link to evidence kept elsewhere."""

FOLLOW_UP_ACTION = 500
"""What a condition of a conditional go asks to be done."""

FILE_NAME = 1024
"""The name (or path) of a policy file, as its problems name it."""

PROJECT_KEY = 40
"""A project key; its pattern ('ERP-12') keeps it far shorter."""

USERNAME = 80
"""A username as typed to log in; usernames themselves are at most 40 characters."""

ROLE = MAX_IDENTIFIER_CHARS
"""A role id: a policy's ids are bounded by the policy language."""

FACT_TEXT = BOUNDS[FactType.TEXT].max_chars or LONG_TEXT
"""A text fact or a text field of a form: its bound is the policy language's."""

DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\t\n\r")


def short_text_problem(
    value: object, limit: int = SHORT_TEXT, *, missing: str | None = "is required"
) -> str | None:
    """What is wrong with `value` as one line of text, or None. An empty value is wrong only
    when `missing` (the words to say) is given."""
    return _text_problem(value, limit, missing, one_line=True)


def long_text_problem(
    value: object, limit: int = LONG_TEXT, *, missing: str | None = None
) -> str | None:
    """What is wrong with `value` as long text (tabs and line breaks allowed), or None."""
    return _text_problem(value, limit, missing, one_line=False)


def _text_problem(value: object, limit: int, missing: str | None, *, one_line: bool) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    text = value.strip()
    if not text:
        return missing
    return _length_problem(text, limit) or _character_problem(text, one_line=one_line)


def short_text(
    value: object, field: str, limit: int = SHORT_TEXT, *, missing: str | None = "is required"
) -> str:
    """`value` stripped, as one line of text; raises InvalidInput naming `field`."""
    return _checked(value, field, short_text_problem(value, limit, missing=missing))


def long_text(
    value: object, field: str, limit: int = LONG_TEXT, *, missing: str | None = None
) -> str:
    """`value` stripped, as long text; raises InvalidInput naming `field`."""
    return _checked(value, field, long_text_problem(value, limit, missing=missing))


def follow_ups(items: Iterable[FollowUp]) -> list[FollowUp]:
    """The conditions of a conditional go with their action and owner stripped and bounded;
    raises InvalidInput naming 'follow_ups[n].action' or '.owner' (n from 0). Whether each
    has an action, an owner and a due date is the decision rules' to say."""
    checked = []
    for index, item in enumerate(items):
        action = short_text(
            item.action, f"follow_ups[{index}].action", FOLLOW_UP_ACTION, missing=None
        )
        owner = short_text(item.owner, f"follow_ups[{index}].owner", missing=None)
        checked.append(FollowUp(action, owner, item.due))
    return checked


def _checked(value: object, field: str, problem: str | None) -> str:
    if problem is not None:
        label = field.replace("_", " ")
        raise InvalidInput(f"The {label} cannot be used", {field: problem})
    return value.strip() if isinstance(value, str) else ""


def _length_problem(text: str, limit: int) -> str | None:
    if len(text) <= limit:
        return None
    return f"has {len(text):,} characters; at most {limit:,} are allowed: shorten it"


def _character_problem(text: str, *, one_line: bool) -> str | None:
    for char in text:
        code = f"U+{ord(char):04X}"
        if one_line and char in DIRECTION_CONTROLS:
            return (
                f"contains an invisible character that reverses the direction of text "
                f"({code}), so it would read differently from what is stored: remove it"
            )
        if unicodedata.category(char) != "Cc":
            continue
        if not one_line and char not in _LINE_BREAKS:
            return f"contains a control character ({code}): remove it"
        if one_line:
            what = "a line break or a tab" if char in _LINE_BREAKS else "a control character"
            return f"contains {what} ({code}): write it as plain text on one line"
    return None
