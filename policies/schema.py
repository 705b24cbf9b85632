"""The JSON Schema of a policy file, generated from the document spec for editors."""

from __future__ import annotations

from typing import Any

from policies.limits import MAX_SIGNERS
from policies.spec import CURRENCY, IDENTIFIER, POLICY, ListOf, MapOf, Mapping, Scalar, Spec

SCHEMA_ID = "https://lockgate.invalid/schemas/policy.schema.json"


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing every key of a policy file."""
    schema = _schema(POLICY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Lockgate policy",
        **schema,
    }


def _schema(spec: Spec) -> dict[str, Any]:
    if isinstance(spec, Scalar):
        return _scalar(spec)
    if isinstance(spec, ListOf):
        return _described(spec.description, _list(spec))
    if isinstance(spec, MapOf):
        return _described(
            spec.description,
            {
                "type": "object",
                "propertyNames": {"pattern": _KEY_PATTERNS[spec.keys]},
                "additionalProperties": _schema(spec.value),
            },
        )
    return _mapping(spec)


def _list(spec: ListOf) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "array", "items": _schema(spec.item)}
    if spec.min_items:
        result["minItems"] = spec.min_items
    return result


def _mapping(spec: Mapping) -> dict[str, Any]:
    required = [name for name, field in spec.fields.items() if field.required]
    result: dict[str, Any] = {
        "type": "object",
        "properties": {name: _schema(field.spec) for name, field in spec.fields.items()},
        "additionalProperties": False,
    }
    if required:
        result["required"] = required
    return _described(spec.description, result)


_SCALAR_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "identifier": {"type": "string", "pattern": IDENTIFIER},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "cel": {"type": "string", "minLength": 1},
    "currency": {"type": "string", "pattern": CURRENCY},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "any": {"type": ["string", "number", "boolean"]},
    # A number of people (its bounds apply to numbers only), majority, all, or CEL.
    "count": {"type": ["integer", "string"], "minimum": 0, "maximum": MAX_SIGNERS, "minLength": 1},
}

_KEY_PATTERNS = {"identifier": IDENTIFIER, "currency": CURRENCY}


def _scalar(spec: Scalar) -> dict[str, Any]:
    result = dict(_SCALAR_TYPES[spec.kind])
    if spec.choices:
        result["enum"] = list(spec.choices)
    if spec.minimum is not None:
        result["minimum"] = spec.minimum
    if spec.maximum is not None:
        result["maximum"] = spec.maximum
    if spec.above is not None:
        result["exclusiveMinimum"] = spec.above
    if spec.max_length is not None:
        result["maxLength"] = spec.max_length
    return _described(spec.description, result)


def _described(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, **schema} if description else schema
