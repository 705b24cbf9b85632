"""The JSON Schema of policy files: a well-formed schema that matches what the loader accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from policies import check_policy_text
from policies.library import LIBRARY, shipped
from policies.model import ArtifactKind, Decision, FactType, Independence
from policies.schema import SCHEMA_ID, json_schema
from policies.spec import CURRENCY, IDENTIFIER
from tests.unit.conftest import MONEY_POLICY
from tests.unit.gate_fixtures import MATRIX_POLICY

SCHEMA = json_schema()
PROPERTIES = SCHEMA["properties"]
GATE = PROPERTIES["gates"]["items"]
ARTIFACT = GATE["properties"]["artifacts"]["items"]
SIGNOFF = GATE["properties"]["signoffs"]["items"]
FACT = PROPERTIES["facts"]["additionalProperties"]


def objects(schema: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema of `schema`, with a path to it."""
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from objects(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from objects(value, f"{path}[{index}]")


def test_the_schema_is_plain_json_with_its_dialect_and_id() -> None:
    assert json.loads(json.dumps(SCHEMA)) == SCHEMA
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == SCHEMA_ID
    assert SCHEMA["type"] == "object"


def test_the_top_level_lists_every_key_and_requires_the_mandatory_ones() -> None:
    assert set(PROPERTIES) == {
        "id",
        "version",
        "title",
        "description",
        "initial_stage",
        "facts",
        "roles",
        "tiers",
        "gates",
        "incompatible_roles",
        "max_waiver_days",
        "open_conditions",
        "overrides",
        "change_control",
        "triggers",
        "rating_scales",
        "currency",
        "exchange_rates",
    }
    assert set(SCHEMA["required"]) == {"id", "version", "title", "facts", "roles", "tiers", "gates"}
    assert PROPERTIES["version"] == {
        "description": "Version number; a new version is a new file.",
        "type": "integer",
        "minimum": 1,
        "maximum": 1_000_000,
    }
    assert PROPERTIES["gates"]["minItems"] == 1
    assert PROPERTIES["tiers"]["minItems"] == 1


def test_every_mapping_with_fixed_keys_refuses_unknown_keys() -> None:
    mappings = [(path, s) for path, s in objects(SCHEMA) if "properties" in s]
    assert len(mappings) >= 8  # policy, fact, role, tier, gate, artifact, field, criterion, ...
    loose = [path for path, s in mappings if s.get("additionalProperties") is not False]
    assert loose == []


def test_maps_of_ids_check_their_keys_as_identifiers() -> None:
    for name in ("facts", "roles"):
        assert PROPERTIES[name]["type"] == "object"
        assert PROPERTIES[name]["propertyNames"] == {"pattern": IDENTIFIER}
        assert PROPERTIES[name]["additionalProperties"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(ARTIFACT["properties"]["kind"], [k.value for k in ArtifactKind], id="kind"),
        pytest.param(FACT["properties"]["type"], [t.value for t in FactType], id="fact-type"),
        pytest.param(
            ARTIFACT["properties"]["fields"]["items"]["properties"]["type"],
            [t.value for t in FactType],
            id="form-field-type",
        ),
        pytest.param(
            GATE["properties"]["decisions"]["items"], [d.value for d in Decision], id="decisions"
        ),
        pytest.param(
            SIGNOFF["properties"]["independent_of"]["items"],
            [i.value for i in Independence],
            id="independent-of",
        ),
    ],
)
def test_words_with_a_fixed_set_of_values_are_enums(
    schema: dict[str, Any], expected: list[str]
) -> None:
    assert schema["type"] == "string"
    assert schema["enum"] == expected


def test_the_enums_hold_the_words_policies_are_written_with() -> None:
    assert ARTIFACT["properties"]["kind"]["enum"] == ["file", "link", "form"]
    assert GATE["properties"]["decisions"]["items"]["enum"] == [
        "go",
        "conditional_go",
        "recycle",
        "hold",
        "kill",
    ]


def test_ids_conditions_and_counts_are_constrained() -> None:
    assert GATE["properties"]["id"]["pattern"] == IDENTIFIER
    assert GATE["properties"]["skip_when"] == {
        "description": "The gate is skipped when this CEL condition holds.",
        "type": "string",
        "minLength": 1,
    }
    assert SIGNOFF["properties"]["min"]["minimum"] == 0  # 0: advisory or consulted only
    assert SIGNOFF["properties"]["min"]["type"] == ["integer", "string"]
    assert SIGNOFF["required"] == ["role"]
    assert ARTIFACT["required"] == ["id", "title", "kind"]


def test_currencies_are_iso_codes_and_rates_are_positive_numbers_keyed_by_code() -> None:
    rates = PROPERTIES["exchange_rates"]
    assert PROPERTIES["currency"]["pattern"] == CURRENCY
    assert rates["required"] == ["as_of", "source", "rates"]
    assert rates["properties"]["as_of"]["format"] == "date"
    assert rates["properties"]["rates"]["propertyNames"] == {"pattern": CURRENCY}
    rate = rates["properties"]["rates"]["additionalProperties"]
    assert (rate["type"], rate["exclusiveMinimum"]) == ("number", 0)
    assert FACT["properties"]["negative"]["type"] == "boolean"
    assert FACT["properties"]["currencies"]["items"]["pattern"] == CURRENCY


# --- validated with a JSON Schema implementation (optional) ---------------------------------


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def test_the_schema_is_a_valid_draft_2020_12_schema(validator: Any) -> None:
    assert validator.META_SCHEMA["$id"].startswith("https://json-schema.org/draft/2020-12")


@pytest.mark.parametrize("name", shipped())
def test_every_shipped_policy_validates_against_the_schema(validator: Any, name: str) -> None:
    document = yaml.safe_load((LIBRARY / f"{name}.yaml").read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(document)] == []


def test_the_matrix_test_policy_validates_against_the_schema(validator: Any) -> None:
    assert list(validator.iter_errors(yaml.safe_load(MATRIX_POLICY))) == []


def test_a_policy_with_money_in_currencies_validates_against_the_schema(validator: Any) -> None:
    # Editors read YAML 1.2, where 2026-11-30 is a string; PyYAML makes it a date.
    document = json.loads(json.dumps(yaml.safe_load(MONEY_POLICY), default=str))
    assert list(validator.iter_errors(document)) == []
    assert check_policy_text(MONEY_POLICY)[1] == []


BREAKAGES = [
    pytest.param("    skip_when: tier", "    skip_if: tier", id="unknown-gate-key"),
    pytest.param("        kind: file\n", "        kind: pdf\n", id="unknown-artifact-kind"),
    pytest.param(
        "    decisions: [go, recycle, hold]\n", "    decisions: [go, ok]\n", id="decision"
    ),
    pytest.param("version: 1\n", "version: 0\n", id="version-zero"),
    # 0 is refused by the loader for a blocking sign-off only: the schema cannot see the kind.
    pytest.param("        min: 2\n", "        min: 101\n", id="min-over-the-limit"),
    pytest.param("        min: 2\n", "        min: 1.5\n", id="min-a-fraction"),
    pytest.param("  - id: start\n", "  - id: Start\n", id="gate-id-not-an-identifier"),
    pytest.param("    name: Start gate\n", "", id="gate-without-name"),
    pytest.param("    type: money\n", "    type: currency\n", id="unknown-fact-type"),
    pytest.param("    title: PMO lead\n", "    title: PMO lead\n    email: x\n", id="role-key"),
    pytest.param("version: 1\n", "version: 1\ncurrency: eur\n", id="currency-lower-case"),
    pytest.param(
        "version: 1\n",
        "version: 1\ncurrency: EUR\nexchange_rates: {as_of: '2026-11-30', source: ECB, "
        "rates: {USD: 0}}\n",
        id="rate-zero",
    ),
    pytest.param(
        "version: 1\n",
        "version: 1\ncurrency: EUR\nexchange_rates: {source: ECB, rates: {USD: 0.92}}\n",
        id="rates-without-date",
    ),
    pytest.param(
        "version: 1\n",
        "version: 1\ncurrency: EUR\nexchange_rates: {as_of: '2026-11-30', source: ECB, "
        "rates: {usd: 0.92}}\n",
        id="rate-code-lower-case",
    ),
    pytest.param(
        "        independent_of: []\n",
        "        independent_of: [sponsor]\n",
        id="independent-of-value",
    ),
]


@pytest.mark.parametrize(("old", "new"), BREAKAGES)
def test_the_schema_and_the_loader_both_refuse_a_structural_mistake(
    validator: Any, old: str, new: str
) -> None:
    assert MATRIX_POLICY.count(old) == 1, old
    text = MATRIX_POLICY.replace(old, new)
    assert list(validator.iter_errors(yaml.safe_load(text))) != []
    policy, problems = check_policy_text(text, "broken.yaml")
    assert policy is None
    assert problems
