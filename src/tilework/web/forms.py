"""Node parameter forms, generated from each tile's JSON Schema, and their answers read back.

A property becomes one control: ``enum`` a select, ``boolean`` a checkbox, ``integer`` and
``number`` a number input with the schema's bounds, an array of strings a textarea (one value a
line), a string a text input; anything richer is edited as JSON. ``T | None`` properties are
optional: an empty box means null. Values are converted to the schema's types here; whether they
are *valid* is decided by the tile's own model when the agent is saved, so the form and the API
can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tilework.errors import ValidationError

Kind = Literal["text", "number", "integer", "checkbox", "select", "lines", "json"]
_UNSET = object()


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    help: str
    kind: Kind
    value: Any  # as the control shows it: str for boxes, bool for a checkbox
    required: bool = False
    nullable: bool = False
    options: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    default: Any = _UNSET

    @property
    def step(self) -> str:
        return "1" if self.kind == "integer" else "any"

    @property
    def placeholder(self) -> str:
        if self.default is _UNSET or self.default is None:
            return "empty" if self.nullable else ""
        return _text(self.default)


def fields_for(schema: Mapping[str, Any], params: Mapping[str, Any]) -> list[FormField]:
    required = set(schema.get("required", []))
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        prop, nullable = _unwrap(schema, spec)
        default = spec.get("default", prop.get("default", _UNSET))
        current = params.get(name, default)
        kind = _kind(prop)
        fields.append(
            FormField(
                name=name,
                label=name.replace("_", " ").capitalize(),
                help=str(spec.get("description") or prop.get("description") or ""),
                kind=kind,
                value=_shown(kind, current),
                required=name in required,
                nullable=nullable,
                options=[str(option) for option in prop.get("enum", [])],
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                max_length=prop.get("maxLength"),
                default=default,
            )
        )
    return fields


def params_from_form(
    schema: Mapping[str, Any],
    form: Mapping[str, Sequence[str]],
    current: Mapping[str, Any],
) -> dict[str, Any]:
    """The params the form asks for: values that differ from a default, or that were set."""
    params: dict[str, Any] = {}
    for spec in fields_for(schema, current):
        raw = list(form.get(spec.name, []))
        value = _read(spec, raw)
        if spec.name in current or spec.default is _UNSET or value != spec.default:
            params[spec.name] = value
    return params


# --- schema reading --------------------------------------------------------------------------


def _unwrap(root: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """(the property's own schema, whether null is allowed), through ``anyOf`` and ``$ref``."""
    spec = _deref(root, spec)
    options = spec.get("anyOf")
    if not options:
        return spec, False
    concrete = [_deref(root, option) for option in options if option.get("type") != "null"]
    nullable = len(concrete) < len(options)
    if len(concrete) == 1:
        return concrete[0], nullable
    return {}, nullable  # a real union: edited as JSON


def _deref(root: Mapping[str, Any], spec: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = spec.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Mapping[str, Any] = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return spec


def _kind(prop: Mapping[str, Any]) -> Kind:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind in ("number", "integer"):
        return "integer" if kind == "integer" else "number"
    if kind == "boolean":
        return "checkbox"
    if kind == "string":
        return "text"
    if kind == "array" and (prop.get("items") or {}).get("type") == "string":
        return "lines"
    return "json"


# --- values ----------------------------------------------------------------------------------


def _shown(kind: Kind, value: Any) -> Any:
    if kind == "checkbox":
        return bool(value) if value is not _UNSET else False
    if value is _UNSET or value is None:
        return ""
    if kind == "lines":
        return "\n".join(str(item) for item in value)
    if kind == "json":
        return json.dumps(value, indent=2)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def _read(spec: FormField, raw: list[str]) -> Any:
    if spec.kind == "checkbox":
        return "true" in raw
    text = raw[-1].strip() if raw else ""
    if text == "" and spec.nullable:
        return None
    if text == "" and spec.kind in ("integer", "number") and spec.default is not _UNSET:
        return spec.default
    if spec.kind == "integer":
        return _number(text, int)
    if spec.kind == "number":
        return _number(text, float)
    if spec.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if spec.kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError(f"{spec.name}: not valid JSON") from None
    return text


def _number(text: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text)
    except ValueError:
        return text  # the tile's model says what is wrong with it, in the API's words
