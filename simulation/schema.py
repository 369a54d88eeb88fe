"""A JSON Schema of scenario files, for editors (completion, hover, checking as you type).

Generated from the pydantic models, so it never drifts from what ``upgrade-sim validate``
accepts. A file with ``extends:`` is a *variant*: a partial document whose every field is
optional, because it overrides only what changes; any other file must be a complete scenario.
The schema says so with ``if``/``then``/``else``. Validation stays ``upgrade-sim validate``'s
job: cross-field rules (a route share summing to 1, a target's indicator existing) are not in it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .scenario import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
VARIANT_PREFIX = "Variant"
YEAR_KEY = {"pattern": "^[0-9]{4}$"}

# Keys a variant may have at its top level besides the scenario's own fields.
VARIANT_KEYS: dict[str, dict] = {
    "extends": {"type": "string", "description": "The parent scenario, a path relative to this file. "
                "The values given here override the parent's."},
}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file or a variant (``extends:``)."""
    raw = Scenario.model_json_schema()
    defs = raw.pop("$defs")
    defs["Scenario"] = raw
    for schema in defs.values():
        _annotate(schema)
    defs["Quantity"]["oneOf"] = [{"required": ["source"]}, {"required": ["assume"]}]
    variants = {VARIANT_PREFIX + name: _partial(schema) for name, schema in defs.items()}
    root_variant = variants[VARIANT_PREFIX + "Scenario"]
    root_variant["properties"] = {**VARIANT_KEYS, **root_variant["properties"]}
    # a variant's targets: a list adds to the parent's; a mapping adds, replaces and drops (simulation.variants)
    target_list = root_variant["properties"]["targets"]
    root_variant["properties"]["targets"] = {"anyOf": [target_list, {
        "type": "object", "additionalProperties": False,
        "properties": {"add": target_list, "replace": target_list,
                       "drop": {"anyOf": [{"const": "all"}, {"type": "array", "items": {"type": "string"}}]}},
    }]}
    root_variant["required"] = ["extends"]
    return {
        "$schema": DIALECT,
        "$id": "https://upgrade-sim.invalid/scenario.schema.json",
        "title": "upgrade-sim scenario",
        "description": "A scenario of upgrade-sim, or a variant of one (a file with extends:).",
        "if": {"type": "object", "required": ["extends"]},
        "then": {"$ref": f"#/$defs/{VARIANT_PREFIX}Scenario"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": {**defs, **variants},
    }


def _annotate(node: Any) -> None:
    """Units into descriptions (editors show them on hover); year keys on schedules."""
    if isinstance(node, dict):
        unit = node.get("unit")
        if isinstance(unit, str) and ("$ref" in node or "anyOf" in node):
            node.setdefault("description", f"unit: {unit}")
        if node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
            node.setdefault("propertyNames", YEAR_KEY)  # a schedule {year: value}
        for value in node.values():
            _annotate(value)
    elif isinstance(node, list):
        for value in node:
            _annotate(value)


def _partial(schema: dict) -> dict:
    """The same schema with nothing required and references pointing to the partial versions."""
    partial = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("required", None)
            node.pop("oneOf", None) if node.get("oneOf") == [{"required": ["source"]}, {"required": ["assume"]}] else None
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = "#/$defs/" + VARIANT_PREFIX + ref.removeprefix("#/$defs/")
            if "minItems" in node and node.get("type") == "array":
                node.pop("minItems")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(partial)
    return partial


def schema_text() -> str:
    return json.dumps(scenario_schema(), ensure_ascii=False, indent=1) + "\n"
