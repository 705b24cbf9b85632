"""The forms of the project pages. Fields for facts and structured-form artifacts are made
from the policy's declarations; the forms check shape only, the verbs check values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput

from gates.authority import REGISTER
from policies.facts import Typed
from policies.model import FactType
from policies.money import MoneyRules
from workflows.errors import InvalidInput
from workflows.inputs import FACT_TEXT, LONG_TEXT, PROJECT_KEY, SHORT_TEXT, URL
from workflows.views.projects import Person

try:  # WTForms 3.3 deprecates choices given as tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms

    def SelectChoice(value: str, label: str) -> Any:
        return (value, label)


NOTE = "Note (optional)"
_INPUT_MODES = {FactType.MONEY: "decimal", FactType.INTEGER: "numeric"}
_HINTS = {
    FactType.MONEY: "An amount, e.g. 250000 or 12500.50",
    FactType.INTEGER: "A whole number",
    FactType.DATE: "A date, YYYY-MM-DD",
}


def choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Options of a select, as (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def attribute(field_id: str) -> str:
    """The form attribute of a declared id; ids that are names of Form itself get a '_'."""
    return f"{field_id}_" if hasattr(Form, field_id) else field_id


def typed_form(specs: Iterable[Typed], current: Mapping[str, object]) -> type[Form]:
    """A form class with one input per fact or form field, filled with `current` values."""

    class Values(Form):
        pass

    for spec in specs:
        setattr(Values, attribute(spec.id), _input(spec, current.get(spec.id)))
    return Values


def _input(spec: Typed, value: object) -> Any:
    optional = "" if spec.required else " (optional)"
    label = spec.title + optional
    hint = getattr(spec, "description", "") or _HINTS.get(spec.type, "")
    if spec.type is FactType.MONEY and spec.money.rates is not None:
        hint = " ".join(part for part in (hint, _currencies_hint(spec.money)) if part)
    if spec.type is FactType.BOOLEAN:
        return BooleanField(spec.title, default=value is True, description=hint)
    if spec.type is FactType.ENUM:
        options = choices([("", "— choose —"), *((v, v.replace("_", " ")) for v in spec.values)])
        return SelectField(
            label, choices=options, default=value or "", validate_choice=False, description=hint
        )
    text = "" if value is None else str(value)
    # The browser stops at the bound; the verb checks it again and says why.
    length = [Length(max=FACT_TEXT if spec.type is FactType.TEXT else SHORT_TEXT)]
    if spec.type is FactType.DATE:
        return StringField(label, length, default=text, widget=DateInput(), description=hint)
    # Money in a named currency is typed with letters ("USD 250000"): no numeric keypad.
    named = spec.type is FactType.MONEY and len(spec.money.currencies) > 1
    mode = None if named else _INPUT_MODES.get(spec.type)
    kw = {"inputmode": mode} if mode else {}
    return StringField(label, length, default=text, render_kw=kw, description=hint)


def _currencies_hint(money: MoneyRules) -> str:
    base = money.rates.base if money.rates else ""
    others = [code for code in money.currencies if code != base]
    if not others:
        return f"An amount in {base}."
    example = f"{others[0]} 250000"
    return f"An amount in {base}, or in {', '.join(others)} with its code first: {example}."


def typed_values(values: Form, specs: Iterable[Typed]) -> dict[str, str]:
    """What was typed, as the verbs read it: text stripped, ticks as words. A blank stays
    blank: the verbs read it as not given (a default applies, a required value is missing)."""
    raw = {}
    for spec in specs:
        data = values[attribute(spec.id)].data
        if spec.type is FactType.BOOLEAN:
            raw[spec.id] = "true" if data else "false"
        else:
            raw[spec.id] = str(data or "").strip()
    return raw


def errors_to_fields(form: Form, error: InvalidInput, nested: Form | None = None) -> list[str]:
    """Put each problem next to its field; returns the ones that belong to no field."""
    unplaced = []
    for name, problem in error.problems.items():
        field = _field(nested, attribute(name)) or _field(form, name)
        if field is None:
            unplaced.append(f"{name}: {problem}")
        else:
            field.errors = [*field.errors, problem]
    if not error.problems:
        unplaced.append(str(error))
    return unplaced


def _field(form: Form | None, name: str) -> Field | None:
    if form is None or name not in form._fields:
        return None
    found: Field = form[name]
    return found


class RegistrationForm(FlaskForm):
    """The fixed part of registering a project; the facts are added per policy."""

    policy = HiddenField()
    key = StringField(
        "Project key",
        validators=[DataRequired(), Length(max=PROJECT_KEY)],
        description="A prefix, a dash and a number, e.g. ERP-12",
    )
    name = StringField("Project name", validators=[DataRequired(), Length(max=SHORT_TEXT)])
    manager = SelectField("Project manager")
    sponsor = SelectField("Sponsor")
    preview = SubmitField("Preview tier")
    register = SubmitField("Register")


def registration_form(
    facts: Sequence[Typed],
    defaults: Mapping[str, object],
    people: Sequence[Person],
    me: str,
    policy_id: str,
) -> RegistrationForm:
    """The registration form for one policy: its facts, managers and sponsors to choose."""

    values = typed_form(facts, defaults)

    class Registration(RegistrationForm):
        facts = FormField(values, label="Facts")

    form = Registration(policy=policy_id, manager=me)
    # A project's manager is someone who may register projects (gates.authority.REGISTER).
    managers = [p for p in people if REGISTER.allows_roles(p.roles) or p.username == me]
    form.manager.choices = choices((p.username, p.display_name) for p in managers)
    form.sponsor.choices = choices(
        [("", "— none yet —"), *((p.username, p.display_name) for p in people)]
    )
    return form


class FactsForm(FlaskForm):
    """Changing a project's facts; the facts are added per policy."""

    reason = TextAreaField("Why the facts change", validators=[Optional(), Length(max=LONG_TEXT)])
    save = SubmitField("Save facts")
    propose = SubmitField("Propose this change")


def facts_form(facts: Sequence[Typed], current: Mapping[str, object]) -> FactsForm:
    """The facts form of a project's policy, filled with its current facts."""

    values = typed_form(facts, current)

    class Facts(FactsForm):
        facts = FormField(values, label="Facts")

    return Facts()


class FileEvidenceForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose a file to attach.")])
    note = TextAreaField(NOTE, validators=[Optional(), Length(max=LONG_TEXT)])
    attach = SubmitField("Attach")


class LinkEvidenceForm(FlaskForm):
    url = URLField(
        "Link",
        validators=[DataRequired(), Length(max=URL)],
        description="An http:// or https:// address",
    )
    note = TextAreaField(NOTE, validators=[Optional(), Length(max=LONG_TEXT)])
    attach = SubmitField("Attach")


class StructuredEvidenceForm(FlaskForm):
    """A policy-defined form; its fields are added per artifact."""

    note = TextAreaField(NOTE, validators=[Optional(), Length(max=LONG_TEXT)])
    attach = SubmitField("Attach")


def structured_form(fields: Sequence[Typed]) -> StructuredEvidenceForm:
    """The form of a structured-form artifact, one input per policy-defined field."""

    inputs = typed_form(fields, {})

    class Structured(StructuredEvidenceForm):
        values = FormField(inputs, label="Values")

    return Structured()


class ConfirmForm(FlaskForm):
    """A button that changes something: a POST with the CSRF token and nothing else."""


class MoveForm(FlaskForm):
    """Hold, resume or kill a project: the reason is recorded in the trail."""

    reason = TextAreaField(
        "Reason", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 2}
    )


class CloseConditionForm(FlaskForm):
    """Close a condition you own: what was done, and the evidence it rests on (optional)."""

    note = TextAreaField(
        "What was done", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 2}
    )
    evidence = SelectField("Evidence (optional)", validate_choice=False, validators=[Optional()])
