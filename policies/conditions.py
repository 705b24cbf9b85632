"""CEL conditions: compiled once when a policy loads, their names and types checked then.

A condition reads `project.<fact>`, `tier` and the project's programme: `programme.projects`
(how many projects it has), `programme.total_<fact>` (the sum of a money fact over them) and,
outside tier rules, `programme.reached.<stage>` (every other project of the programme is at
that stage or beyond). A project in no programme reads a programme of itself alone. A
criterion or a requirement's `when` also reads `evidence.<artifact>.<field>`, a field of a form
artifact declared anywhere in the policy. A typo in a fact, artifact or field name, a
comparison with a value an enum cannot take, or an operation CEL refuses for the values' types
fails at `policy check`, not at a gate review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cel

from policies import cel_cost
from policies.facts import cel_value
from policies.model import (
    Artifact,
    ArtifactKind,
    Condition,
    Fact,
    FactType,
    FactValue,
    FieldRef,
    FormField,
)
from policies.problems import did_you_mean, one_of

_STRING = re.compile(
    r"""[rRbB]?(
        "{3}[\s\S]*?"{3}          # triple-double-quoted
      | '{3}[\s\S]*?'{3}          # triple-single-quoted
      | "(?:\\.|[^"\\])*"       # double-quoted
      | '(?:\\.|[^'\\])*'       # single-quoted
    )""",
    re.VERBOSE,
)
_FACT_REF = re.compile(r"\bproject\s*\.\s*([A-Za-z_]\w*)")
_PROGRAMME_REF = re.compile(r"\bprogramme\s*\.\s*([A-Za-z_]\w*)(?:\s*\.\s*([A-Za-z_]\w*))?(\s*\[)?")
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
# `evidence`, then up to two `.name` steps: the artifact and the field (either may be absent,
# which is a mistake the loader names). Not after a dot: `project.evidence` is a fact.
_EVIDENCE_REF = re.compile(
    r"(?<![\w.])evidence\b(?:\s*\.\s*([A-Za-z_]\w*))?(?:\s*\.\s*([A-Za-z_]\w*))?"
)
_SUBJECT = (
    r"project\s*\.\s*[A-Za-z_]\w*|evidence\s*\.\s*[A-Za-z_]\w*\s*\.\s*[A-Za-z_]\w*"
    r"|assurance\s*\.\s*rating|tier"
)
_EQUALS = re.compile(rf"\b({_SUBJECT})\s*(?:==|!=)\s*(\"[^\"]*\"|'[^']*')")
_EQUALS_REVERSED = re.compile(rf"(\"[^\"]*\"|'[^']*')\s*(?:==|!=)\s*({_SUBJECT})\b")
_IN_LIST = re.compile(rf"\b({_SUBJECT})\s+in\s+\[([^\]]*)\]")
_UNDEFINED = re.compile(r"Undefined variable or function: '([^']+)'")
_WORD_TIER = re.compile(r"\btier\b")
_CEL_ERROR = re.compile(r"<input>:(\d+):(\d+): (?:Syntax error: )?(.*)")

_PROBE_DATE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Names:
    """What a condition may refer to: the declared facts and, unless classifying, the tiers;
    where `evidence_allowed`, the fields of the policy's form artifacts (`artifacts`: every
    artifact the policy declares, by id, so a file or a link is named as not a form)."""

    facts: Mapping[str, Fact]
    tiers: Sequence[str]
    tier_allowed: bool = True
    ratings: Sequence[str] = ()
    """Where not empty (an assurance rule), `assurance.rating` (one of these) and
    `assurance.level` (its place on the scale, 0 the best) may be read too."""
    artifacts: Mapping[str, Artifact] = field(default_factory=dict)
    evidence_allowed: bool = False

    @property
    def forms(self) -> dict[str, Artifact]:
        """The form artifacts a condition may read, by id."""
        return {a.id: a for a in self.artifacts.values() if a.kind is ArtifactKind.FORM}

    stages: Sequence[str] = ()
    """The policy's stages, which `programme.reached.<stage>` names (none in a tier rule)."""


PROGRAMME_COUNT, PROGRAMME_REACHED, TOTAL = "projects", "reached", "total_"


def programme_names(facts: Mapping[str, Fact]) -> tuple[str, ...]:
    """What `programme.<name>` may read: the count of its projects, the total of each money
    fact, and which stages its other projects have reached."""
    totals = [TOTAL + f.id for f in facts.values() if f.type is FactType.MONEY]
    return (PROGRAMME_COUNT, *totals, PROGRAMME_REACHED)


def compile_condition(
    source: str, names: Names, *, counting: bool = False
) -> tuple[Condition | None, list[str]]:
    """Compile and check a CEL condition (with `counting`, a whole number over the facts, such
    as a sign-off's `min: project.participating_agencies`).

    Returns (condition, []) when it is sound, or (None, messages) listing every problem.
    A condition too big to compile safely, or whose worst case costs too much to run, is
    refused before it is ever run (see policies.cel_cost).
    """
    oversized = cel_cost.before_compiling(source)
    if oversized:
        return None, oversized
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as error:
        return None, [_syntax_message(str(error))]
    costly = cel_cost.after_compiling(source)
    if costly:
        return None, costly
    masked = _STRING.sub(lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', source)
    problems = [*_name_problems(program, masked, names), *_literal_problems(source, names)]
    if problems:
        return None, problems
    facts = frozenset(_FACT_REF.findall(masked))
    uses_tier = "tier" in program.variables()
    problems = _type_problems(program, names, counting)
    if problems:
        return None, problems
    alternatives = tuple(
        _alternative(part, masked_part, names) for part, masked_part in _split_or(source, masked)
    )
    evidence = _field_refs(masked, names)
    programme = frozenset(m[0] for m in _PROGRAMME_REF.findall(masked))
    return Condition(
        source, program, facts, uses_tier, alternatives if len(alternatives) > 1 else (),
        evidence, programme,
    ), []  # fmt: skip


def _split_or(source: str, masked: str) -> list[tuple[str, str]]:
    """Split at the top-level '||' (outside parentheses, brackets and strings)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(masked):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and masked.startswith("||", index):
            parts.append((source[start:index].strip(), masked[start:index]))
            start = index + 2
    parts.append((source[start:].strip(), masked[start:]))
    return parts


def _alternative(source: str, masked: str, names: Names) -> Condition:
    facts = frozenset(_FACT_REF.findall(masked))
    uses_tier = "tier" in _WORD_TIER.findall(masked)
    programme = frozenset(m[0] for m in _PROGRAMME_REF.findall(masked))
    refs = _field_refs(masked, names)
    return Condition(source, cel.compile(source), facts, uses_tier, (), refs, programme)


def _field_refs(masked: str, names: Names) -> tuple[FieldRef, ...]:
    """The form fields `masked` reads (checked already), once each, in order."""
    refs: dict[tuple[str, str], FieldRef] = {}
    forms = names.forms
    for artifact_id, field_id in _EVIDENCE_REF.findall(masked):
        form = forms.get(artifact_id)
        found = next((f for f in form.fields if f.id == field_id), None) if form else None
        if form is not None and found is not None:
            refs.setdefault(
                (form.id, found.id), FieldRef(form.id, found.id, form.title, found.title)
            )
    return tuple(refs.values())


def _syntax_message(text: str) -> str:
    match = _CEL_ERROR.search(text)
    if not match:
        return f"CEL syntax error: {text.splitlines()[0]}"
    detail = match.group(3).strip()
    if "mismatched input '<EOF>'" in detail:
        detail = "the expression ends too early"
    elif detail.startswith("mismatched input"):
        detail = detail.split(" expecting ")[0]
    return f"CEL syntax error at column {match.group(2)}: {detail}"


def _name_problems(program: cel.Program, masked: str, names: Names) -> Iterable[str]:
    bound = set(_BOUND.findall(masked))
    allowed = {"project", "programme", *(["tier"] if names.tier_allowed else [])}
    allowed |= {"assurance"} if names.ratings else set()
    allowed |= {"evidence"} if names.evidence_allowed else set()
    for name in program.variables():
        if name in bound or name in allowed:
            continue
        if name == "tier":
            yield "a tier rule cannot use 'tier': tiers are chosen from the facts alone"
        elif name == "assurance":
            yield (
                "only a gate's assurance rules can read 'assurance' (assurance.rating, "
                "assurance.level): a rating is advisory, kept apart from the requirements"
            )
        elif name == "evidence":
            yield (
                "only a criterion or a requirement's 'when' can read evidence: a tier, a "
                "skip rule or a decider is chosen from the facts alone"
            )
        elif name in names.facts:
            yield f"unknown name '{name}' (did you mean 'project.{name}'?)"
        else:
            hint = did_you_mean(name, allowed)
            yield f"unknown name '{name}'{hint}; facts are read as project.<fact>"
    for fact in dict.fromkeys(_FACT_REF.findall(masked)):
        if fact not in names.facts:
            choices = [f"project.{f}" for f in names.facts]
            hint = did_you_mean(f"project.{fact}", choices)
            yield f"unknown fact 'project.{fact}'{hint}"
    if names.evidence_allowed and "evidence" not in bound:
        for artifact_id, field_id in dict.fromkeys(_EVIDENCE_REF.findall(masked)):
            yield from _evidence_problems(artifact_id, field_id, names)

    if "programme" not in bound:
        for name, stage, indexed in dict.fromkeys(_PROGRAMME_REF.findall(masked)):
            yield from _programme_problems(name, stage, bool(indexed), names)


def _evidence_problems(artifact_id: str, field_id: str, names: Names) -> Iterable[str]:
    forms = names.forms
    example = next(iter(forms.values()), None)
    shape = "evidence.<artifact>.<field>"
    if example is not None and example.fields:
        shape += f", e.g. evidence.{example.id}.{example.fields[0].id}"
    if not artifact_id:
        yield f"read a form's field as {shape}"
        return
    artifact = names.artifacts.get(artifact_id)
    if artifact is None:
        known = f"{did_you_mean(artifact_id, forms)}" if forms else ": the policy has no form"
        yield f"unknown artifact 'evidence.{artifact_id}'{known}"
        return
    if artifact.kind is not ArtifactKind.FORM:
        yield (
            f"{artifact.title} ('{artifact_id}') is a {artifact.kind.value}, not a form: only "
            "the fields of a form artifact can be read"
        )
        return
    fields = [f.id for f in artifact.fields]
    if not field_id:
        listed = ", ".join(fields)
        yield f"name a field of {artifact.title}: evidence.{artifact_id}.<field> ({listed})"
    elif field_id not in fields:
        yield (
            f"{artifact.title} has no field '{field_id}'{did_you_mean(field_id, fields)}; "
            f"its fields: {', '.join(fields)}"
        )


def _programme_problems(name: str, stage: str, indexed: bool, names: Names) -> Iterable[str]:
    known = programme_names(names.facts)
    if name not in known:
        choices = [f"programme.{n}" for n in known]
        hint = did_you_mean(f"programme.{name}", choices)
        yield f"unknown name 'programme.{name}'{hint}; a programme has {one_of(choices)}"
    elif name == PROGRAMME_REACHED and not names.tier_allowed:
        yield (
            "a tier rule cannot use 'programme.reached': tiers are chosen from the facts "
            "(and the programme's totals) alone"
        )
    elif name == PROGRAMME_REACHED and (indexed or not stage):
        yield "write programme.reached.<stage>, e.g. programme.reached.execution"
    elif name == PROGRAMME_REACHED and stage not in names.stages:
        hint = did_you_mean(stage, names.stages)
        yield f"unknown stage '{stage}'{hint}; the stages are {one_of(names.stages)}"


def _literal_problems(source: str, names: Names) -> Iterable[str]:
    for subject, literal in _EQUALS.findall(source):
        yield from _check_literals(subject, [literal], names)
    for literal, subject in _EQUALS_REVERSED.findall(source):
        yield from _check_literals(subject, [literal], names)
    for subject, items in _IN_LIST.findall(source):
        yield from _check_literals(subject, _STRING.findall(items), names)


def _check_literals(subject: str, literals: list[str], names: Names) -> Iterable[str]:
    allowed, label = _allowed_values(subject, names)
    if not allowed:
        return
    for literal in literals:
        value = literal[1:-1]
        if value not in allowed:
            hint = did_you_mean(value, allowed)
            yield f"{label} is never '{value}'{hint}; it is {one_of(allowed)}"


def _allowed_values(subject: str, names: Names) -> tuple[tuple[str, ...], str]:
    if subject == "tier":
        return tuple(names.tiers), "tier"
    if subject.startswith("assurance"):
        return tuple(names.ratings), "assurance.rating"
    if subject.startswith("evidence"):
        _, artifact_id, field_id = (part.strip() for part in subject.split("."))
        form = names.forms.get(artifact_id)
        found = next((f for f in form.fields if f.id == field_id), None) if form else None
        if found is None or found.type is not FactType.ENUM:
            return (), ""
        return found.values, f"evidence.{artifact_id}.{field_id}"
    fact = names.facts.get(subject.split(".")[-1].strip())
    if fact is None or fact.type is not FactType.ENUM:
        return (), ""
    return fact.values, f"project.{fact.id}"


def _type_problems(program: cel.Program, names: Names, counting: bool) -> list[str]:
    """Run the condition on sample facts: booleans all true, all false, optional facts unset."""
    for flag, unset in ((True, False), (False, False), (True, True), (False, True)):
        try:
            result = program.execute(probe_context(names, flag, unset))
        except TypeError as error:
            return [f"CEL type error: {_first_sentence(str(error))}"]
        except KeyError as error:
            fact = str(error.args[0]) if error.args else "?"
            return [
                f"reads project.{fact}, which is optional and may not be set: "
                f"guard it with has(project.{fact}) && ..."
            ]
        except RuntimeError as error:
            unknown = _UNDEFINED.search(str(error))
            if unknown:
                return [
                    f"unknown function '{unknown.group(1)}': check its spelling in the CEL "
                    "standard library (size, contains, startsWith, matches, has, ...)"
                ]
            continue
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        if counting and (isinstance(result, bool) or not isinstance(result, int)):
            return [
                f"must give a whole number of people, but gives a {type(result).__name__} value"
                " (an integer fact, or int(...) of a money one)"
            ]
        if not counting and not isinstance(result, bool):
            return [f"must be true or false, but gives a {type(result).__name__} value"]
    return []


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].rstrip(".")
    if "coerce" in text or "overload" in text:
        head += (
            " (CEL does not mix number types: money facts and fields are decimal numbers, so"
            " write 250000.0 or convert with double(); integer ones convert with int())"
        )
    return head


def probe_context(names: Names, flag: bool, unset: bool = False) -> dict[str, object]:
    """Sample values of the right type for every fact, to find type errors before runtime.

    With `unset`, optional facts without a default are left out, as they may be in a project.
    Every form field has a value: a form not attached yet, or an optional field left empty,
    makes a criterion missing (gates.readiness), not wrong, so an unguarded read is allowed.
    """
    project = {
        fact.id: _probe_value(fact, flag)
        for fact in names.facts.values()
        if not (unset and not fact.required and fact.default is None)
    }
    tier = names.tiers[0] if names.tiers else "default"
    evidence = {
        form.id: {f.id: _probe_value(f, flag) for f in form.fields} for form in names.forms.values()
    }
    programme: dict[str, object] = {PROGRAMME_COUNT: 1}
    programme |= {
        TOTAL + fact.id: 1.0 for fact in names.facts.values() if fact.type is FactType.MONEY
    }
    programme[PROGRAMME_REACHED] = dict.fromkeys(names.stages, flag)
    context: dict[str, object] = {
        "project": project, "tier": tier, "evidence": evidence, "programme": programme,
    }  # fmt: skip
    if names.ratings:
        rating = names.ratings[-1 if flag else 0]
        context["assurance"] = {"rating": rating, "level": names.ratings.index(rating)}
    return context


_PROBES: dict[FactType, object] = {
    FactType.MONEY: 1.0,
    FactType.INTEGER: 1,
    FactType.TEXT: "text",
}


def _probe_value(fact: Fact | FormField, flag: bool) -> object:
    if fact.type is FactType.BOOLEAN:
        return flag
    if fact.type is FactType.ENUM:
        return fact.values[0] if fact.values else ""
    if fact.type is FactType.DATE:
        return _PROBE_DATE
    return _PROBES[fact.type]


def evaluation_context(
    facts: Mapping[str, FactValue],
    tier: str | None,
    forms: Mapping[str, Mapping[str, FactValue]] | None = None,
    programme: Mapping[str, object] | None = None,
    assurance: Mapping[str, object] | None = None,
) -> cel.Context:
    """A CEL context for one project: build it once per project, evaluate many conditions.

    `forms` holds the values of the latest version of each form the conditions read, by
    artifact id; a form without a version is absent, so reading it raises KeyError.
    `programme` is the `programme` value (gates.programmes.programme_value); without it the
    project reads a programme of itself alone, whose `reached` names no stage.
    `assurance` ({rating, level}) is what a gate's assurance rules read besides."""
    project = {name: cel_value(value) for name, value in facts.items()}
    evidence = {
        artifact: {name: cel_value(value) for name, value in values.items()}
        for artifact, values in (forms or {}).items()
    }
    if programme is None:
        programme = alone(project)
    values = {"project": project, "tier": tier or "", "evidence": evidence, "programme": programme}
    return cel.Context({**values, "assurance": assurance} if assurance is not None else values)


def alone(project: Mapping[str, object]) -> dict[str, object]:
    """The `programme` of a project in none, from its CEL fact values: one project, whose
    totals are its own money facts (doubles, as CEL sees money)."""
    totals = {TOTAL + name: value for name, value in project.items() if type(value) is float}
    return {PROGRAMME_COUNT: 1, **totals, PROGRAMME_REACHED: {}}
