"""Reading scenarios: safe YAML, ``extends:``, strict validation, overrides by path, a stable hash."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from .errors import InputError
from .indicators import INDICATORS
from .scenario import Scenario


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (plain YAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader; refuse missing, empty or malformed files and repeated keys."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InputError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=str(path)) from None
    if data is None:
        raise InputError("the file is empty", file=str(path))
    if not isinstance(data, dict):
        raise InputError("the top level must be a mapping of keys to values", file=str(path))
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``; mappings merge, everything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and "value" not in value:
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve_extends(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw mapping of ``path`` with its ``extends:`` chain merged in."""
    if path.resolve() in _seen:
        raise InputError("extends: the chain of scenarios loops back on itself", file=str(path))
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError("must be a file name", file=str(path), field="extends")
    parent_path = (path.parent / parent)
    if not parent_path.is_file():
        raise InputError(f"file {parent!r} not found next to this scenario", file=str(path), field="extends")
    return deep_merge(resolve_extends(parent_path, _seen + (path.resolve(),)), data)


def validate(data: Mapping[str, Any], *, file: str = "<scenario>") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, or raise one :class:`InputError`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _as_input_error(exc, file) from None
    for i, target in enumerate(scenario.targets):
        if target.modelled and target.indicator not in INDICATORS:
            raise InputError(f"unknown indicator {target.indicator!r}", file=file, field=f"targets.{i}.indicator")
        if target.modelled and target.unit is not None:
            expected = "%" if target.measure == "cagr" else INDICATORS[target.indicator].unit
            if target.unit != expected:
                raise InputError(f"unit is {target.unit!r}, but {target.indicator!r} ({target.measure}) is in {expected!r}",
                                 file=file, field=f"targets.{i}.unit")
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (following ``extends:``)."""
    path = Path(path)
    return validate(resolve_extends(path), file=str(path))


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], *, file: str = "<overrides>") -> Scenario:
    """A copy of ``scenario`` with values set by dotted path.

    A path to a cited quantity sets its ``value`` (``levers.remediation.firms_per_year``);
    a path into a list uses the index (``targets.0.value``).
    """
    data = scenario.model_dump(mode="python")
    for path, value in overrides.items():
        _set_path(data, path, value, file)
    return validate(data, file=file)


def scenario_hash(scenario: Scenario) -> str:
    """A stable SHA-256 of the validated scenario (key order and formatting do not matter)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_path(scenario: Scenario, path: str) -> Any:
    """The value at a dotted path (a quantity's ``value`` for a cited quantity)."""
    node: Any = scenario.model_dump(mode="python")
    for part in path.split("."):
        node = _child(node, part, path, "<scenario>")
    if isinstance(node, dict) and "value" in node:
        return node["value"]
    return node


def _child(node: Any, part: str, path: str, file: str) -> Any:
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise InputError(f"no list item {part!r}", file=file, field=path)
        return node[int(part)]
    if not isinstance(node, dict) or part not in node:
        raise InputError("no such parameter or lever in the scenario", file=file, field=path)
    return node[part]


def _set_path(data: dict, path: str, value: Any, file: str) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = _child(node, part, path, file)
    leaf = parts[-1]
    target = _child(node, leaf, path, file)
    if isinstance(target, dict) and "value" in target:
        target["value"] = value
    elif isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value


_UNION_BRANCHES = {"float", "int", "str", "bool", "dict[int,float]", "list[float]", "dict[int,union[int,float]]"}


def _as_input_error(exc: ValidationError, file: str) -> InputError:
    """One message for a validation failure: the most telling problem, and how many others."""
    problems: dict[str, tuple[str, str]] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"] if str(p) not in _UNION_BRANCHES)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif error["type"] == "missing":
            message = "required field is missing"
        elif field.endswith(".value") and error["type"] in ("float_parsing", "float_type", "int_type", "dict_type"):
            message = "must be a number, or a mapping of year to number"
        problems.setdefault(field, (error["type"], message))
    # an unknown key usually explains a "missing" one next to it: report the typo first
    field = next((f for f, (kind, _) in problems.items() if kind == "extra_forbidden"), next(iter(problems)))
    more = len(problems) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(problems[field][1] + suffix, file=file, field=field or None)
