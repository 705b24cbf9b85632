"""Every bound the policy language sets, in one place.

A policy is written by people but read by the engine on every gate review, so its size and the
work its conditions can cause are bounded when it is checked: a file that passes
`lockgate policy check` can neither exhaust a worker's stack nor keep it busy for long. Each
bound is far above what the shipped library needs (measured on policies/library/standard.yaml:
23 KB, 9 levels deep, 1,147 values, conditions of at most 90 characters with no macro).
docs/policy-language.md states them for policy authors.
"""

from __future__ import annotations

# -- the file ----------------------------------------------------------------------------------

MAX_POLICY_BYTES = 512 * 1024
"""Size of a policy file in bytes (UTF-8)."""

MAX_DEPTH = 32
"""Levels of nesting of lists and mappings (a gate's form field's allowed values is level 9)."""

MAX_VALUES = 20_000
"""Values in the file (keys, items, scalars), counting each use of an alias in full."""

MAX_ALIASES = 500
"""Uses of YAML aliases (*name)."""

# -- single values -----------------------------------------------------------------------------

MAX_IDENTIFIER_CHARS = 64
"""An id: of a policy, fact, role, tier, gate, stage, artifact, criterion or form field."""

MAX_TITLE_CHARS = 200
"""A title or name people read in lists: 'G1 Initiation approval'."""

MAX_DESCRIPTION_CHARS = 4000
"""A description or a 'why'."""

MAX_VERSION = 1_000_000
"""The largest policy version number."""

MAX_DAYS = 36_600
"""The largest number of days (sla_days, max_age_days): about a hundred years."""

MAX_SIGNERS = 100
"""The largest 'min' and 'order' of a sign-off."""

MAX_ROUNDS = 100
"""The largest `max_rounds` of a gate."""

# -- CEL conditions ----------------------------------------------------------------------------

MAX_EXPRESSION_CHARS = 1000
"""Length of one condition."""

MAX_EXPRESSION_NESTING = 12
"""Brackets inside brackets: (), [] and {}."""

MAX_MACRO_NESTING = 2
"""map, filter, all, exists and exists_one inside one another."""

MAX_MACROS = 4
"""map, filter, all, exists and exists_one in one condition."""

MAX_LITERAL_ITEMS = 100
"""Items of one list literal [a, b, ...] or map literal {k: v, ...}."""

MAX_ITERATIONS = 1000
"""The worst-case number of times one evaluation runs a macro's body (about 1 ms)."""

MAX_GROWTH = 16
"""How many times a chain of macros whose bodies join values with '+' may multiply a value's
size: ['a'].map(x, x + x).map(y, y + y) quadruples it."""
