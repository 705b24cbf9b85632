"""Loading a policy file: structure first, then meaning; every problem reported at once."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from policies.bounds import size_problem
from policies.conditions import Names, compile_condition
from policies.document import COUNT_WORDS, Document, read
from policies.facts import FactError, parse_value
from policies.limits import MAX_POLICY_BYTES, MAX_SIGNERS
from policies.model import (
    DEFAULT_CHANGE_CONTROL,
    DEFAULT_DECIDERS,
    DEFAULT_INCOMPATIBLE,
    DEFAULT_INDEPENDENCE,
    DEFAULT_MAX_WAIVER_DAYS,
    MANAGER_ROLE,
    Artifact,
    ArtifactKind,
    Assurance,
    ChangeControl,
    Condition,
    Criterion,
    Decider,
    Decision,
    Fact,
    FactType,
    FormField,
    Gate,
    Independence,
    MoneyThreshold,
    OpenConditions,
    Overrides,
    PanelVote,
    Period,
    Policy,
    RatingRule,
    RatingScale,
    Recurrence,
    Role,
    Separation,
    Share,
    Signoff,
    SignoffCount,
    SignoffKind,
    Tier,
    Trigger,
    TriggerEvent,
)
from policies.money import ExchangeRates, MoneyRules
from policies.periods import PeriodError, parse_after, parse_period
from policies.problems import PolicyError, Problem, did_you_mean
from policies.spec import POLICY

DEFAULT_INITIAL_STAGE = "proposed"
_PERCENT = re.compile(r"^(\d{1,3})(\.\d{1,2})?%$")
RESERVED_STAGES = ("on_hold", "killed")

T = TypeVar("T")


def load_policy(path: str | Path) -> Policy:
    """Load and check the policy file at `path`.

    Returns the Policy, or raises PolicyError listing every problem (file, line, field).
    """
    file = Path(path)
    try:
        with file.open("rb") as stream:
            data = stream.read(MAX_POLICY_BYTES + 1)
        oversized = size_problem(data, str(path))
        if oversized is not None:
            raise PolicyError([oversized])
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise PolicyError(
            [Problem(str(path), 1, 1, "", f"cannot read the file: {reason}")]
        ) from None
    return parse_policy(text, str(path))


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    """Check policy `text` (named `name` in messages); returns the Policy or raises PolicyError."""
    policy, problems = check_policy_text(text, name)
    if policy is None:
        raise PolicyError(problems)
    return policy


def check_policy_text(text: str, name: str = "<policy>") -> tuple[Policy | None, list[Problem]]:
    """Check policy `text`; returns (policy, []) or (None, every problem, in file order)."""
    data, doc = read(text, name, POLICY)
    policy = _Builder(doc).policy(data, text) if data is not None else None
    problems = sorted(doc.problems, key=lambda p: (p.line, p.column))
    return (policy if not problems else None), problems


def _humanize(identifier: str) -> str:
    return identifier.replace("_", " ").capitalize()


def _declared_artifacts(gates: list[dict[str, Any]]) -> dict[str, Artifact]:
    """Every artifact the gates declare, by id (its first declaration), with its fields: what
    `evidence.<artifact>.<field>` may name. Quiet: the gates' own checks report mistakes."""
    found: dict[str, Artifact] = {}
    for gate in gates:
        for spec in gate.get("artifacts", []):
            if {"id", "title", "kind"} <= spec.keys() and spec["id"] not in found:
                kind = ArtifactKind(spec["kind"])
                fields = tuple(_declared_field(f) for f in spec.get("fields", []) if _typed(f))
                found[spec["id"]] = Artifact(spec["id"], spec["title"], kind, fields=fields)
    return found


def _typed(spec: dict[str, Any]) -> bool:
    return {"id", "title", "type"} <= spec.keys()


def _declared_field(spec: dict[str, Any]) -> FormField:
    kind, values = FactType(spec["type"]), tuple(spec.get("values", ()))
    return FormField(spec["id"], spec["title"], kind, spec.get("required", True), values)


class _Builder:
    """Turns a structurally valid document into model objects, recording meaning problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.facts: dict[str, Fact] = {}
        self.roles: dict[str, Role] = {}
        self.tier_ids: list[str] = []
        self.scales: dict[str, RatingScale] = {}
        self.rates: ExchangeRates | None = None

    def policy(self, data: dict[str, Any], text: str) -> Policy | None:
        self.rates = self._exchange_rates(data)
        self.facts = self._facts(data.get("facts", {}))
        self.roles = self._roles(data.get("roles", {}))
        tiers = self._tiers(data.get("tiers", []))
        self.scales = self._scales(data.get("rating_scales", {}))
        initial = data.get("initial_stage", DEFAULT_INITIAL_STAGE)
        gates = self._gates(data.get("gates", []), initial)
        incompatible = self._incompatible(data.get("incompatible_roles"))
        change_control = self._change_control(data.get("change_control"))
        triggers = self._triggers(data.get("triggers", []), gates)
        if not {"id", "version", "title"} <= data.keys():
            return None
        return Policy(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            description=data.get("description", ""),
            initial_stage=initial,
            facts=tuple(self.facts.values()),
            roles=tuple(self.roles.values()),
            tiers=tuple(tiers),
            gates=tuple(gates),
            source_name=self.doc.name,
            digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            incompatible_roles=incompatible,
            max_waiver_days=data.get("max_waiver_days", DEFAULT_MAX_WAIVER_DAYS),
            open_conditions=OpenConditions(data.get("open_conditions", OpenConditions.BLOCK)),
            overrides=Overrides(data.get("overrides", Overrides.ALLOWED)),
            change_control=change_control,
            triggers=triggers,
            rating_scales=tuple(self.scales.values()),
            exchange_rates=self.rates,
        )

    # -- money -----------------------------------------------------------------------------

    def _exchange_rates(self, data: dict[str, Any]) -> ExchangeRates | None:
        base, stated = data.get("currency"), data.get("exchange_rates")
        if base is None:
            if stated is not None and not self._written("currency"):
                self.doc.problem(
                    "exchange_rates",
                    "exchange rates convert to the policy's own currency: add 'currency:' "
                    "with its code (e.g. currency: EUR)",
                )
            return None
        if stated is None:
            return ExchangeRates(base)
        rates = stated.get("rates", {})
        if base in rates:
            self.doc.problem(
                f"exchange_rates.rates.{base}",
                f"{base} is the policy's currency: one {base} is always 1 {base}, so it has no "
                "rate; remove it",
            )
        pairs = tuple((code, rate) for code, rate in rates.items() if code != base)
        return ExchangeRates(base, stated.get("as_of"), stated.get("source", ""), pairs)

    def _written(self, *paths: str) -> bool:
        """True when the file has one of `paths`, though refused (and reported already)."""
        return any(path in self.doc.positions for path in paths)

    def _money_rules(self, kind: FactType, spec: dict[str, Any], path: str) -> MoneyRules:
        negative = spec.get("negative", False)
        listed = spec.get("currencies")
        for key in ("negative", "currencies"):
            if key in spec and kind is not FactType.MONEY:
                self.doc.problem(f"{path}.{key}", f"'{key}' is for money facts; this is {kind}")
        if kind is not FactType.MONEY:
            return MoneyRules()
        if self.rates is None:
            if listed is not None and not self._written("currency", "exchange_rates"):
                self.doc.problem(
                    f"{path}.currencies",
                    "the policy states no currency: add 'currency:' with its code (e.g. "
                    "currency: EUR) and the rates of the others under 'exchange_rates'",
                )
            return MoneyRules(negative)
        known = self.rates.currencies
        for index, code in enumerate(listed or ()):
            if code not in known and not self._written(f"exchange_rates.rates.{code}"):
                self.doc.problem(
                    f"{path}.currencies[{index}]",
                    f"no exchange rate for {code}{did_you_mean(code, known)}: add one under "
                    f"exchange_rates.rates, or accept only {', '.join(known)}",
                )
        self._unique(listed or (), f"{path}.currencies", "currency")
        accepted = tuple(dict.fromkeys(c for c in listed if c in known)) if listed else known
        return MoneyRules(negative, accepted, self.rates)

    # -- change control and triggers -----------------------------------------------------

    def _change_control(self, raw: dict[str, Any] | None) -> ChangeControl:
        if raw is None:
            return DEFAULT_CHANGE_CONTROL
        approvers = tuple(raw.get("approvers", DEFAULT_CHANGE_CONTROL.approvers))
        for index, role in enumerate(approvers):
            self._role_ref(role, f"change_control.approvers[{index}]")
        self._unique(approvers, "change_control.approvers", "approver role")
        money = [
            threshold
            for fact_id, limit in raw.get("money", {}).items()
            if (threshold := self._threshold(fact_id, limit)) is not None
        ]
        return ChangeControl(approvers, tuple(money))

    def _threshold(self, fact_id: str, limit: str) -> MoneyThreshold | None:
        path = f"change_control.money.{fact_id}"
        fact = self.facts.get(fact_id)
        if fact is None:
            self.doc.problem(path, f"unknown fact '{fact_id}'{did_you_mean(fact_id, self.facts)}")
            return None
        if fact.type is not FactType.MONEY:
            kind = fact.type
            self.doc.problem(path, f"'{fact_id}' is {kind}, not money: only money moves by a %")
            return None
        found = _PERCENT.fullmatch(limit.strip())
        if found is None or not 0 < Decimal(limit.strip()[:-1]) <= 100:
            self.doc.problem(path, f"'{limit}' is not a percentage: write one from 0.01% to 100%")
            return None
        return MoneyThreshold(fact_id, Decimal(limit.strip()[:-1]))

    def _triggers(self, raw: list[dict[str, Any]], gates: list[Gate]) -> tuple[Trigger, ...]:
        gate_ids = [g.id for g in gates]
        triggers = []
        for index, spec in enumerate(raw):
            path, review = f"triggers[{index}]", spec.get("review")
            right, recur = self._recurrence(spec, path, gates)
            if review is not None and review not in gate_ids:
                self.doc.problem(
                    f"{path}.review",
                    f"unknown gate '{review}'{did_you_mean(review, gate_ids)}: a triggered "
                    "review repeats one of the policy's gates",
                )
            elif review is not None and "on" in spec and right:
                triggers.append(Trigger(TriggerEvent(spec["on"]), review, recur))
        self._unique([(t.on.value, t.review) for t in triggers], "triggers", "trigger", None)
        return tuple(triggers)

    def _recurrence(
        self, spec: dict[str, Any], path: str, gates: list[Gate]
    ) -> tuple[bool, Recurrence | None]:
        """Whether a trigger's schedule is right, and the schedule (None for another kind)."""
        timing = [key for key in ("every", "first", "until") if key in spec]
        if spec.get("on") != TriggerEvent.RECURRING:
            for key in timing:
                self.doc.problem(f"{path}.{key}", "only a recurring trigger has a schedule")
            return not timing, None
        if "every" not in spec:
            self.doc.problem(path, "a recurring trigger needs 'every', e.g. every: 12 months")
            return False, None
        every = self._period(lambda: parse_period(spec["every"]), f"{path}.every")
        first: tuple[Period, str] | None = (every, spec.get("review", "")) if every else None
        if "first" in spec:
            first = self._period(lambda: parse_after(spec["first"]), f"{path}.first")
            first = first if first is None else self._anchor(first, path, gates)
        known, until = self._until(spec.get("until"), first[1] if first else None, path, gates)
        if every is None or first is None or not known:
            return False, None
        return True, Recurrence(every, first[0], first[1], until)

    def _period(self, parse: Callable[[], T], path: str) -> T | None:
        try:
            return parse()
        except PeriodError as error:
            self.doc.problem(path, str(error))
            return None

    def _anchor(
        self, first: tuple[Period, str], path: str, gates: list[Gate]
    ) -> tuple[Period, str] | None:
        gate_ids = [g.id for g in gates]
        if first[1] in gate_ids:
            return first
        hint = did_you_mean(first[1], gate_ids)
        self.doc.problem(f"{path}.first", f"unknown gate '{first[1]}'{hint}")
        return None

    def _until(
        self, until: str | None, anchor: str | None, path: str, gates: list[Gate]
    ) -> tuple[bool, str | None]:
        """Whether the stage ending a schedule is right (a stage after the gate that starts
        it), and the stage."""
        if until is None:
            return True, None
        stages = [g.stage for g in gates]
        if until not in stages:
            hint = did_you_mean(until, stages)
            self.doc.problem(f"{path}.until", f"unknown stage '{until}'{hint}")
            return False, None
        start = next((g for g in gates if g.id == anchor), None)
        if start is not None and stages.index(until) <= stages.index(start.stage):
            self.doc.problem(
                f"{path}.until",
                f"the project reaches '{until}' no later than gate {start.id} passes, so the "
                "review would never come: name a later stage",
            )
            return False, None
        return True, until

    def _incompatible(self, raw: list[list[str]] | None) -> tuple[frozenset[str], ...]:
        if raw is None:
            return DEFAULT_INCOMPATIBLE
        pairs = []
        for index, pair in enumerate(raw):
            path = f"incompatible_roles[{index}]"
            known = [r == MANAGER_ROLE or self._role_ref(r, path) for r in pair]
            if len(pair) < 2:
                continue  # the schema says so
            if len(pair) > 2 or len(set(pair)) != 2:
                self.doc.problem(path, "give two different roles, e.g. [project_manager, sponsor]")
            elif all(known):
                pairs.append(frozenset(pair))
        return tuple(pairs)

    # -- facts, roles, tiers -------------------------------------------------------------

    def _facts(self, raw: dict[str, dict[str, Any]]) -> dict[str, Fact]:
        facts = {}
        for fact_id, spec in raw.items():
            fact = self._fact(fact_id, spec, f"facts.{fact_id}")
            if fact is not None:
                facts[fact_id] = fact
        return facts

    def _fact(self, fact_id: str, spec: dict[str, Any], path: str) -> Fact | None:
        if "type" not in spec:
            return None
        kind = FactType(spec["type"])
        values = self._values(kind, spec, path)
        fact = Fact(
            id=fact_id,
            type=kind,
            title=spec.get("title", _humanize(fact_id)),
            description=spec.get("description", ""),
            values=values,
            required=spec.get("required", True),
            money=self._money_rules(kind, spec, path),
        )
        if "default" not in spec:
            return fact
        try:
            default = parse_value(kind, spec["default"], values, money=fact.money)
        except FactError as error:
            self.doc.problem(f"{path}.default", f"the default {error}")
            return fact
        return dataclasses.replace(fact, default=default)

    def _values(self, kind: FactType, spec: dict[str, Any], path: str) -> tuple[str, ...]:
        values = tuple(spec.get("values", ()))
        if kind is FactType.ENUM and not values:
            self.doc.problem(path, "an enum needs 'values': the list of allowed values")
        elif kind is not FactType.ENUM and values:
            self.doc.problem(f"{path}.values", f"only an enum has 'values', not a {kind} value")
        self._unique(values, f"{path}.values", "value")
        return values

    def _roles(self, raw: dict[str, dict[str, Any]]) -> dict[str, Role]:
        return {
            role_id: Role(role_id, spec["title"], spec.get("description", ""))
            for role_id, spec in raw.items()
            if "title" in spec
        }

    def _tiers(self, raw: list[dict[str, Any]]) -> list[Tier]:
        ids = [t.get("id", "") for t in raw]
        self._unique(ids, "tiers", "tier id", [f"tiers[{i}].id" for i in range(len(raw))])
        self.tier_ids = [tier_id for tier_id in ids if tier_id]
        names = Names(self.facts, self.tier_ids, tier_allowed=False)
        tiers = []
        for index, spec in enumerate(raw):
            path = f"tiers[{index}]"
            last = index == len(raw) - 1
            if last and "when" in spec:
                self.doc.problem(f"{path}.when", "the last tier is the default: remove its 'when'")
            elif not last and "when" not in spec:
                self.doc.problem(path, "only the last tier may omit 'when' (it is the default)")
            when = self._condition(spec, "when", path, names)
            if "id" in spec:
                title = spec.get("title", _humanize(spec["id"]))
                tiers.append(Tier(spec["id"], title, when, spec.get("description", "")))
        return tiers

    # -- gates ---------------------------------------------------------------------------

    def _gates(self, raw: list[dict[str, Any]], initial: str) -> list[Gate]:
        ids = [g.get("id", "") for g in raw]
        self._unique(ids, "gates", "gate id", [f"gates[{i}].id" for i in range(len(raw))])
        stages = [g.get("stage", "") for g in raw]
        self._unique(
            [initial, *stages],
            "gates",
            "stage",
            ["initial_stage", *(f"gates[{i}].stage" for i in range(len(raw)))],
        )
        if initial in RESERVED_STAGES:
            self.doc.problem("initial_stage", f"'{initial}' is reserved by Lockgate")
        for index, stage in enumerate(stages):
            if stage in RESERVED_STAGES:
                self.doc.problem(f"gates[{index}].stage", f"'{stage}' is reserved by Lockgate")
        names = Names(
            self.facts, self.tier_ids, artifacts=_declared_artifacts(raw), stages=[initial, *stages]
        )
        gates = [self._gate(spec, f"gates[{i}]", names) for i, spec in enumerate(raw)]
        for index, spec in enumerate(raw):
            self._recycle_targets(spec.get("recycle_to", []), ids[:index], f"gates[{index}]")
        first = raw[0].get("signoffs") if raw and isinstance(raw[0], dict) else None
        for place, signoff in enumerate(first if isinstance(first, list) else []):
            if isinstance(signoff, dict) and signoff.get("distinct_from_previous_gate"):
                self.doc.problem(
                    f"gates[0].signoffs[{place}].distinct_from_previous_gate",
                    "the first gate has no previous gate to be distinct from",
                )
        return [g for g in gates if g is not None]

    def _recycle_targets(self, targets: list[str], earlier: list[str], path: str) -> None:
        for place, target in enumerate(targets):
            if target not in earlier:
                where = f"{path}.recycle_to[{place}]"
                allowed = ", ".join(earlier) or "none: this is the first gate"
                self.doc.problem(
                    where, f"'{target}' is not an earlier gate; a recycle goes back ({allowed})"
                )

    def _gate(self, spec: dict[str, Any], path: str, names: Names) -> Gate | None:
        # A requirement (its criterion, its `when`) may read form fields; the gate's own rules
        # (skip_when, decided_by) are chosen from the facts alone.
        reading = replace(names, evidence_allowed=True)
        artifacts = self._each(
            spec.get("artifacts", []), f"{path}.artifacts", reading, self._artifact
        )
        criteria = self._each(
            spec.get("criteria", []), f"{path}.criteria", reading, self._criterion
        )
        signoffs = self._each(spec.get("signoffs", []), f"{path}.signoffs", reading, self._signoff)
        # Counted over the file's items, not the ones built, so places stay right.
        self._unique(
            [a.get("id", "") for a in spec.get("artifacts", [])], f"{path}.artifacts", "artifact id"
        )
        self._unique(
            [c.get("id", "") for c in spec.get("criteria", [])], f"{path}.criteria", "criterion id"
        )
        self._unique(
            [r.get("role", "") for r in spec.get("signoffs", [])],
            f"{path}.signoffs",
            "sign-off role",
        )
        decisions = tuple(Decision(d) for d in spec.get("decisions", list(Decision)))
        self._unique(decisions, f"{path}.decisions", "decision")
        if Decision.GO not in decisions:
            self.doc.problem(
                f"{path}.decisions", "'go' must be allowed, or the gate can never pass"
            )
        self._role_ref(spec.get("escalate_to"), f"{path}.escalate_to")
        skip_when = self._condition(spec, "skip_when", path, names)
        deciders = self._each(
            spec.get("decided_by", []), f"{path}.decided_by", names, self._decider
        )
        self._unique(
            [d.get("role", "") for d in spec.get("decided_by", [])],
            f"{path}.decided_by",
            "deciding role",
        )
        vote = self._vote(spec["vote"], f"{path}.vote") if "vote" in spec else None
        assurance = (
            self._assurance(spec["assurance"], f"{path}.assurance", names)
            if "assurance" in spec
            else None
        )
        if "decided_by" in spec and not spec["decided_by"]:
            self.doc.problem(
                f"{path}.decided_by", "name at least one role, or leave 'decided_by' out"
            )
        if assurance is not None:
            self._rule_decisions(assurance, decisions, f"{path}.assurance")
        if not {"id", "name", "stage"} <= spec.keys():
            return None
        return Gate(
            id=spec["id"],
            name=spec["name"],
            stage=spec["stage"],
            description=spec.get("description", ""),
            skip_when=skip_when,
            artifacts=tuple(artifacts),
            criteria=tuple(criteria),
            signoffs=tuple(signoffs),
            decisions=decisions,
            sla_days=spec.get("sla_days"),
            escalate_to=spec.get("escalate_to"),
            recycle_to=tuple(spec.get("recycle_to", ())),
            decided_by=tuple(deciders) or DEFAULT_DECIDERS,
            vote=vote,
            max_rounds=spec.get("max_rounds"),
            assurance=assurance,
            repeatable=spec.get("repeatable", False),
        )

    def _each(
        self,
        raw: list[dict[str, Any]],
        path: str,
        names: Names,
        build: Callable[[dict[str, Any], str, Names], T | None],
    ) -> list[T]:
        built = [build(spec, f"{path}[{i}]", names) for i, spec in enumerate(raw)]
        return [item for item in built if item is not None]

    def _artifact(self, spec: dict[str, Any], path: str, names: Names) -> Artifact | None:
        when = self._condition(spec, "when", path, names)
        waivable_by = self._waivers(spec, path)
        fields = self._form_fields(spec, path)
        if not {"id", "title", "kind"} <= spec.keys():
            return None
        return Artifact(
            id=spec["id"],
            title=spec["title"],
            kind=ArtifactKind(spec["kind"]),
            why=spec.get("why", ""),
            fields=fields,
            when=when,
            max_age_days=spec.get("max_age_days"),
            waivable_by=waivable_by,
        )

    def _form_fields(self, spec: dict[str, Any], path: str) -> tuple[FormField, ...]:
        raw = spec.get("fields", [])
        if spec.get("kind") == ArtifactKind.FORM and not raw:
            self.doc.problem(path, "a form artifact needs 'fields'")
        elif spec.get("kind") not in (ArtifactKind.FORM, None) and "fields" in spec:
            self.doc.problem(f"{path}.fields", f"only a form has 'fields', not a {spec['kind']}")
        fields = []
        for index, item in enumerate(raw):
            if not {"id", "title", "type"} <= item.keys():
                continue
            kind = FactType(item["type"])
            values = self._values(kind, item, f"{path}.fields[{index}]")
            fields.append(
                FormField(item["id"], item["title"], kind, item.get("required", True), values)
            )
        self._unique([f.get("id", "") for f in raw], f"{path}.fields", "field id")
        return tuple(fields)

    def _criterion(self, spec: dict[str, Any], path: str, names: Names) -> Criterion | None:
        when = self._condition(spec, "when", path, names)
        expr = self._condition(spec, "expr", path, names)
        waivable_by = self._waivers(spec, path)
        if expr is None or not {"id", "title"} <= spec.keys():
            return None
        return Criterion(spec["id"], spec["title"], expr, spec.get("why", ""), when, waivable_by)

    def _vote(self, spec: dict[str, Any], path: str) -> PanelVote | None:
        known = self._role_ref(spec.get("panel"), f"{path}.panel")
        needs = spec.get("needs", "majority")
        counted = isinstance(needs, int) and not isinstance(needs, bool)
        if needs not in ("majority", "unanimous") and not (counted and 1 <= needs <= MAX_SIGNERS):
            self.doc.problem(
                f"{path}.needs",
                f"expected majority, unanimous or a number of votes from 1 to {MAX_SIGNERS}, "
                f"found {needs!r}",
            )
            return None
        return PanelVote(spec["panel"], needs) if known else None

    def _scales(self, raw: dict[str, dict[str, Any]]) -> dict[str, RatingScale]:
        scales = {}
        for scale_id, spec in raw.items():
            ratings = tuple(spec.get("ratings", ()))
            self._unique(ratings, f"rating_scales.{scale_id}.ratings", "rating")
            title = spec.get("title", _humanize(scale_id))
            scales[scale_id] = RatingScale(scale_id, title, ratings)
        return scales

    def _assurance(self, spec: dict[str, Any], path: str, names: Names) -> Assurance | None:
        when = self._condition(spec, "when", path, names)
        known = self._role_ref(spec.get("reviewers"), f"{path}.reviewers")
        scale = self.scales.get(spec.get("scale", ""))
        if scale is None and "scale" in spec:
            hint = did_you_mean(spec["scale"], self.scales)
            where = "" if self.scales else ": declare it under rating_scales"
            self.doc.problem(
                f"{path}.scale", f"unknown rating scale '{spec['scale']}'{hint}{where}"
            )
        separations = [Separation(s) for s in spec.get("independent_of", list(Separation))]
        self._unique(separations, f"{path}.independent_of", "entry")
        rated = replace(names, ratings=scale.ratings) if scale is not None else None
        rules = [
            self._rating_rule(rule, f"{path}.rules[{index}]", rated)
            for index, rule in enumerate(spec.get("rules", []))
        ]
        if not known or scale is None or None in rules:
            return None
        return Assurance(
            spec["reviewers"],
            scale,
            when,
            frozenset(separations),
            tuple(rule for rule in rules if rule is not None),
        )

    def _rule_decisions(
        self, assurance: Assurance, allowed: tuple[Decision, ...], path: str
    ) -> None:
        for index, rule in enumerate(assurance.rules):
            for decision in rule.decisions:
                if decision not in allowed:
                    self.doc.problem(
                        f"{path}.rules[{index}].decisions",
                        f"'{decision}' is not one of the gate's decisions "
                        f"({', '.join(allowed)}): a rating can only narrow them",
                    )

    def _rating_rule(
        self, spec: dict[str, Any], path: str, names: Names | None
    ) -> RatingRule | None:
        decisions = tuple(Decision(d) for d in spec.get("decisions", ()))
        self._unique(decisions, f"{path}.decisions", "decision")
        escalate_to = spec.get("escalate_to")
        if not decisions and escalate_to is None:
            self.doc.problem(
                path,
                "say what the rating does: the 'decisions' it leaves, a role to "
                "'escalate_to', or both",
            )
        known = escalate_to is None or self._role_ref(escalate_to, f"{path}.escalate_to")
        if names is None:  # the scale is unknown: its ratings cannot be checked
            return None
        when = self._condition(spec, "when", path, names)
        if when is None or not known:
            return None
        return RatingRule(when, decisions, escalate_to)

    def _decider(self, spec: dict[str, Any], path: str, names: Names) -> Decider | None:
        when = self._condition(spec, "when", path, names)
        if not self._role_ref(spec.get("role"), f"{path}.role"):
            return None
        return Decider(spec["role"], when)

    def _signoff(self, spec: dict[str, Any], path: str, names: Names) -> Signoff | None:
        when = self._condition(spec, "when", path, names)
        waivable_by = self._waivers(spec, path)
        known = self._role_ref(spec.get("role"), f"{path}.role")
        independent = [Independence(i) for i in spec.get("independent_of", [])]
        self._unique(independent, f"{path}.independent_of", "entry")
        kind = SignoffKind(spec.get("kind", SignoffKind.BLOCKING))
        # How many sign is chosen from the facts alone: no form is read for it.
        counting = replace(names, evidence_allowed=False)
        count = self._signoff_count(spec.get("min", 1), kind, f"{path}.min", counting)
        if not known or count is None:
            return None
        independent_of = frozenset(independent) if "independent_of" in spec else None
        return Signoff(
            spec["role"],
            count,
            when,
            spec.get("order"),
            DEFAULT_INDEPENDENCE if independent_of is None else independent_of,
            waivable_by,
            spec.get("distinct_from_previous_gate", False),
            kind,
        )

    def _signoff_count(
        self, raw: object, kind: SignoffKind, path: str, names: Names
    ) -> SignoffCount | None:
        """A number (0 only where the sign-off never blocks: an invitation, not a wait), a
        share of the role's holders, or a CEL whole number over the facts."""
        least = 0 if kind is not SignoffKind.BLOCKING else 1
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw > MAX_SIGNERS:
                self.doc.problem(path, f"must be at most {MAX_SIGNERS:,}, found {raw:,}")
            elif raw < least:
                self.doc.problem(
                    path,
                    f"must be at least 1, found {raw:,} (0, a sign-off nobody waits for, is "
                    "allowed only for advisory or consulted sign-offs)",
                )
            else:
                return raw
            return None
        if raw in tuple(Share):
            return Share(str(raw))
        if isinstance(raw, str) and raw.strip() and not raw.strip().isidentifier():
            condition, messages = compile_condition(raw, names, counting=True)
            for message in messages:
                self.doc.problem(path, message)
            return condition
        hint = did_you_mean(str(raw), tuple(Share))
        self.doc.problem(path, f"expected {COUNT_WORDS} (project.<fact>), found '{raw}'{hint}")
        return None

    # -- shared checks -------------------------------------------------------------------

    def _condition(
        self, spec: dict[str, Any], key: str, path: str, names: Names
    ) -> Condition | None:
        if key not in spec:
            return None
        condition, messages = compile_condition(spec[key], names)
        for message in messages:
            self.doc.problem(f"{path}.{key}", message)
        return condition

    def _waivers(self, spec: dict[str, Any], path: str) -> tuple[str, ...]:
        roles = tuple(spec.get("waivable_by", ()))
        for index, role in enumerate(roles):
            self._role_ref(role, f"{path}.waivable_by[{index}]")
        return roles

    def _role_ref(self, role: str | None, path: str) -> bool:
        if role is None:
            return False
        if role in self.roles:
            return True
        self.doc.problem(path, f"unknown role '{role}'{did_you_mean(role, self.roles)}")
        return False

    def _unique(
        self,
        items: Iterable[object],
        path: str,
        noun: str,
        paths: list[str] | None = None,
    ) -> None:
        seen: set[object] = set()
        for index, item in enumerate(items):
            if item in seen and item != "":
                where = paths[index] if paths else f"{path}[{index}]"
                self.doc.problem(where, f"{noun} '{item}' appears twice: each must be unique")
            seen.add(item)
