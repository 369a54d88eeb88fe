"""Reading scenarios: safe YAML, ``extends:``, strict validation, overrides by path, a stable hash.

Input files are bounded before they are trusted: at most :data:`MAX_FILE_BYTES`, nested at most
:data:`MAX_DEPTH` levels, expanding (YAML aliases included) to at most :data:`MAX_NODES` values,
and ``extends:`` chains at most :data:`MAX_EXTENDS` long. Files a scenario names resolve inside
its project tree (see :func:`project_roots`), so a scenario cannot read an arbitrary file.

Variants (``extends: parent.yaml``) change their parent by these rules (see :func:`merge_variant`):
mappings merge key by key; a cited quantity given a ``{year: value}`` schedule changes only those
years; a single number replaces the whole value; a changed value carries its own citation;
``targets:`` as a list adds to the inherited targets, as a mapping it may ``drop:`` (names,
``NAME@YEAR`` or ``all``), ``replace:`` (same name and year) and ``add:``; any other list replaces.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import InputError, nearest
from .indicators import INDICATORS, is_money, value_range
from .paths import model_class
from .scenario import Scenario

MAX_FILE_BYTES = 5 * 1024 * 1024  # the largest shipped scenario is ~60 kB
MAX_DEPTH = 40  # nesting levels of a YAML document
MAX_NODES = 200_000  # values after alias expansion (a scenario has ~2,000)
MAX_EXTENDS = 16  # files in one extends: chain

# folders besides a scenario's own project tree that it may name (the CLI's --allow-path)
ALLOWED_ROOTS: list[Path] = []
_PROJECT_MARKERS = (".git", "pyproject.toml")


# libyaml's parser where PyYAML was built with it (its wheels are): for valid YAML the same nodes,
# marks and safe construction, parsed ~6 times as fast (a shipped scenario in ~20 ms, not ~120). It
# words some errors otherwise, and takes tabs as separation where PyYAML's own scanner refuses them.
_SAFE_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _StrictLoader(_SAFE_LOADER):  # type: ignore[misc, valid-type]  # one of two bases, chosen above
    """The safe loader, refusing a key given twice in one mapping (plain YAML keeps the last silently)
    and keys that are not plain values (a list or mapping as a key)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain name or number, not a list or mapping", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader; refuse missing, empty, oversized or malformed files,
    documents nested or expanded beyond the limits, and repeated keys."""
    path = Path(path)
    text = _read_bounded(path)
    try:
        _refuse_deep(text, path)
        data = _load(text, path)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: where, from its offset
        line, column = _line_and_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(f"not valid YAML (line {line}, column {column}): {exc.reason} (U+{code:04X})",
                         file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InputError(f"not valid YAML{where}: {getattr(exc, 'problem', None) or 'unreadable'}", file=str(path)) from None
    except RecursionError:
        raise InputError(f"nested too deeply (at most {MAX_DEPTH} levels)", file=str(path)) from None
    except ValueError as exc:
        if "digits" in str(exc):  # an integer of thousands of digits (Python refuses to convert it)
            raise InputError("holds a number too long to read", file=str(path)) from None
        raise InputError(f"holds a value YAML cannot read ({exc})", file=str(path)) from None  # a date 2021-13-45
    if data is None:
        raise InputError("the file is empty", file=str(path))
    if not isinstance(data, dict):
        raise InputError("the top level must be a mapping of keys to values", file=str(path))
    return data


def _load(text: str, path: Path) -> Any:
    """The document of ``text`` by the strict loader, its shape checked before it is constructed."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_shape(node, path)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _refuse_deep(text: str, path: Path) -> None:
    """Refuse a document whose collections nest more than MAX_DEPTH deep, from the parser's events,
    before it is composed: libyaml composes recursively on the C stack, and some 30,000 levels (a
    60 kB file) crash the process. :func:`_check_shape` refuses whatever this does, and more."""
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(event.start_mark, path)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _too_deep(mark: Any, path: Path) -> InputError:
    """The refusal of a document nested more than MAX_DEPTH deep, at ``mark`` (a parser event's or a
    node's start, or None)."""
    line = mark.line + 1 if mark else "?"
    return InputError(f"nested more than {MAX_DEPTH} levels deep (line {line})", file=str(path))


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of the character at ``offset`` of ``text``."""
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start + 1


def _read_bounded(path: Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES (symlink loops, devices and FIFOs refused)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except OSError as exc:  # ELOOP (a symlink loop), ENAMETOOLONG, EACCES...
        raise InputError(f"cannot be read ({exc.strerror or 'unreadable'})", file=str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file", file=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file", file=str(path))
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(f"is {info.st_size / 2**20:.1f} MB; input files are limited to {MAX_FILE_BYTES // 2**20} MB",
                         file=str(path))
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or 'unreadable'})", file=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"input files are limited to {MAX_FILE_BYTES // 2**20} MB", file=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=str(path)) from None


def _check_shape(root: yaml.Node, path: Path) -> None:
    """Refuse a document nested deeper than MAX_DEPTH or expanding to more than MAX_NODES values.

    Aliases are counted each time they are used, as the loaded data would hold them: a few lines
    of nested aliases ("billion laughs") expand exponentially.
    """
    stack = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InputError(f"expands to more than {MAX_NODES:,} values (nested YAML aliases?)", file=str(path))
        if depth > MAX_DEPTH:
            raise _too_deep(node.start_mark, path)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


# --- where a scenario may read from ------------------------------------------------------------


def _real(path: Path, *, file: str | None = None, field: str | None = None) -> Path:
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError):
        raise InputError("cannot be resolved (a symlink loop?)", file=file or str(path), field=field) from None


def _project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
    return None


def project_roots(path: str | Path) -> list[Path]:
    """The folders files named by ``path`` may come from.

    The project tree holding ``path`` (the nearest folder above it with ``.git`` or
    ``pyproject.toml``; without one, ``path``'s own folder), the project the command runs in
    (if the working folder is inside one), and :data:`ALLOWED_ROOTS`.
    """
    here = _real(Path(path)).parent
    roots = [_project_root(here) or here]
    cwd_root = _project_root(Path.cwd().resolve())
    if cwd_root is not None:
        roots.append(cwd_root)
    roots.extend(_real(Path(p)) for p in ALLOWED_ROOTS)
    return list(dict.fromkeys(roots))


def confine(path: Path, roots: Iterable[Path], *, file: str, field: str) -> Path:
    """``path`` if it resolves inside one of ``roots``; else one line naming the field (the file is not read)."""
    real = _real(path, file=file, field=field)
    roots = list(roots)
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise InputError(f"{str(path)!r} is outside the project folder {roots[0]} "
                         "(allow another folder with upgrade-sim --allow-path DIR)", file=file, field=field)
    return path


# --- extends: ------------------------------------------------------------------------------------


def resolve_extends(path: str | Path, *, roots: Iterable[Path] | None = None) -> dict[str, Any]:
    """The raw mapping of ``path`` with its ``extends:`` chain merged in (see :func:`merge_variant`)."""
    chain = _extends_chain(Path(path), roots)
    merged = chain[-1][1]
    if isinstance(merged.get("targets"), Mapping):
        raise InputError("add:/replace:/drop: only apply in a variant (a file with extends:); give a list of targets",
                         file=str(chain[-1][0]), field="targets")
    for file, data in reversed(chain[:-1]):
        merged = merge_variant(merged, data, file=str(file))
    return merged


def _extends_chain(path: Path, roots: Iterable[Path] | None) -> list[tuple[Path, dict[str, Any]]]:
    """[(file, its mapping without extends:)], the named file first and the root scenario last."""
    roots = list(roots) if roots is not None else project_roots(path)
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: set[Path] = set()
    current = path
    while True:
        real = _real(current)
        if real in seen:
            raise InputError("the chain of scenarios loops back on itself", file=str(chain[-1][0]),
                             field="extends")
        if len(chain) >= MAX_EXTENDS:
            raise InputError(f"the chain is longer than {MAX_EXTENDS} files", file=str(path), field="extends")
        seen.add(real)
        data = read_yaml(current)
        parent = data.pop("extends", None)
        chain.append((current, data))
        if parent is None:
            return chain
        if not isinstance(parent, str) or not parent.strip():
            raise InputError("must be a file name", file=str(current), field="extends")
        parent_path = current.parent / parent
        confine(parent_path, roots, file=str(current), field="extends")
        if not parent_path.is_file():
            raise InputError(f"file {parent!r} not found next to this scenario", file=str(current), field="extends")
        current = parent_path


def parent_of(path: str | Path) -> dict[str, Any] | None:
    """The merged mapping ``path`` extends (None for a scenario without ``extends:``)."""
    chain = _extends_chain(Path(path), None)
    if len(chain) == 1:
        return None
    return resolve_extends(chain[1][0], roots=project_roots(path))


def merge_variant(base: Mapping[str, Any], change: Mapping[str, Any], *, file: str = "<variant>") -> dict[str, Any]:
    """``change`` (a variant's mapping) applied to ``base`` (its parent's), by the rules in the module doc."""
    base_year = change.get("base_year", base.get("base_year"))
    return _merge(base, change, file, (), base_year)


def _merge(base: Mapping[str, Any], change: Mapping[str, Any], file: str, path: tuple, base_year) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in change.items():
        here = (*path, str(key))
        old = merged.get(key)
        if here == ("targets",):
            merged[key] = merge_targets(old or [], value, file=file)
        elif isinstance(old, Mapping) and _is_quantity(old) and isinstance(value, Mapping):
            merged[key] = _merge_quantity(old, value, file, ".".join(here), base_year)
        elif isinstance(value, Mapping) and isinstance(old, Mapping):
            merged[key] = _merge(old, value, file, here, base_year)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_quantity(node: Any) -> bool:
    return isinstance(node, Mapping) and "value" in node and ("source" in node or "assume" in node)


_CITATION = ("source", "assume")


def _merge_quantity(old: Mapping[str, Any], new: Mapping[str, Any], file: str, field: str, base_year) -> dict[str, Any]:
    """A cited quantity changed by a variant: schedules merge by year, a number replaces, citations go with values."""
    merged = {k: copy.deepcopy(v) for k, v in old.items()}
    if any(k in new for k in _CITATION):
        for k in _CITATION:
            merged.pop(k, None)
    elif "value" in new:
        raise InputError("a variant that changes a value must cite it: give source: or assume: with the new value",
                         file=file, field=field)
    for k, v in new.items():
        if k != "value":
            merged[k] = copy.deepcopy(v)
    if "value" in new:
        merged["value"] = _merge_value(old.get("value"), new["value"], base_year)
    return merged


def _merge_value(old: Any, new: Any, base_year) -> Any:
    """A schedule changes only the years it gives; over a single number, that number holds until then."""
    if not isinstance(new, Mapping):
        return copy.deepcopy(new)
    if isinstance(old, Mapping):
        return {**_years(old), **_years(new)}
    if isinstance(old, (int, float)) and not isinstance(old, bool) and isinstance(base_year, int):
        return {base_year: old, **_years(new)}
    return copy.deepcopy(dict(new))


def _years(schedule: Mapping) -> dict:
    """Year keys as integers where they are written as digits ("2024" and 2024 are one year)."""
    return {int(k) if isinstance(k, str) and k.strip().isdigit() else k: v for k, v in schedule.items()}


# --- targets in variants ---------------------------------------------------------------------------

_TARGET_KEYS = ("drop", "replace", "add")


def target_key(target: Mapping[str, Any]) -> str:
    """A target's reference: ``NAME@YEAR`` (its document wording and year)."""
    return f"{target.get('name')}@{target.get('year')}"


def merge_targets(inherited: list, change: Any, *, file: str) -> list:
    """The inherited targets changed by a variant's ``targets:``.

    A list adds targets. A mapping may ``drop:`` targets (``NAME@YEAR``, a ``NAME`` for every year,
    or ``all``), ``replace:`` targets of the same name and year in place, and ``add:`` new ones.
    Adding a target that is already inherited, or naming one that is not, is refused.
    """
    if isinstance(change, list):
        change = {"add": change}
    if not isinstance(change, Mapping):
        raise InputError("give a list of targets to add, or a mapping with drop:, replace: and add:",
                         file=file, field="targets")
    unknown = [k for k in change if k not in _TARGET_KEYS]
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; a variant's targets: takes {', '.join(_TARGET_KEYS)}",
                         file=file, field=f"targets.{unknown[0]}")
    if not isinstance(inherited, list):
        return inherited  # validation reports the parent's problem
    targets = [copy.deepcopy(t) for t in inherited]
    for key in _TARGET_KEYS:
        items = change.get(key, [])
        if key == "drop" and items == "all":
            targets = []
            continue
        if not isinstance(items, list):
            raise InputError("must be a list" + (" (or all)" if key == "drop" else ""), file=file, field=f"targets.{key}")
        for i, item in enumerate(items):
            targets = _apply_target_change(targets, key, item, file, f"targets.{key}.{i}")
    return targets


def _apply_target_change(targets: list, key: str, item: Any, file: str, field: str) -> list:
    keys = [target_key(t) if isinstance(t, Mapping) else None for t in targets]
    if key == "drop":
        if not isinstance(item, str):
            raise InputError("name a target as NAME@YEAR (or NAME for every year)", file=file, field=field)
        hit = [i for i, k in enumerate(keys) if k == item or (k and "@" not in item and k.rsplit("@", 1)[0] == item)]
        if not hit:
            raise InputError(f"no inherited target {item!r}{nearest(item, keys)}", file=file, field=field)
        return [t for i, t in enumerate(targets) if i not in hit]
    if not isinstance(item, Mapping):
        raise InputError("each target must be a mapping (name:, year:, ...)", file=file, field=field)
    k = target_key(item)
    if key == "replace":
        if k not in keys:
            raise InputError(f"no inherited target {k!r} to replace{nearest(k, keys)}", file=file, field=field)
        return [copy.deepcopy(dict(item)) if keys[i] == k else t for i, t in enumerate(targets)]
    if k in keys:
        raise InputError(f"target {k!r} is already inherited; put it under replace: (or drop: it first)",
                         file=file, field=field)
    return [*targets, copy.deepcopy(dict(item))]


# --- validation ------------------------------------------------------------------------------------


def validate(data: Mapping[str, Any], *, file: str = "<scenario>") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, or raise one :class:`InputError`.

    Beyond the schema, the cross-field rules of :mod:`simulation.rules` are checked here, so a
    scenario that ``validate`` accepts does not fail at run time.
    """
    from .rules import check_rules

    refuse_other_kind(data, "scenario", file)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _as_input_error(exc, file, Scenario) from None
    except RecursionError:
        raise InputError(f"nested too deeply (at most {MAX_DEPTH} levels)", file=file) from None
    for i, target in enumerate(scenario.targets):
        if not target.modelled:
            continue
        assert target.indicator is not None  # the Target validator requires one when modelled
        if target.indicator not in INDICATORS:
            raise InputError(f"unknown indicator {target.indicator!r}{nearest(target.indicator, INDICATORS)} "
                             "(upgrade-sim indicators lists them)", file=file, field=f"targets.{i}.indicator")
        unit = INDICATORS[target.indicator].unit
        if target.basis == "current" and not is_money(unit):  # a price level would scale a rate or a count
            level = _level_of(target.indicator)
            instead = (f": judge the growth of the level at current prices with indicator: {level}, measure: cagr, "
                       "since: <base year>") if level else ""
            raise InputError(f"basis 'current' is for money (元) indicators; {target.indicator!r} is in {unit!r}{instead}",
                             file=file, field=f"targets.{i}.basis")
        if target.unit is not None:
            expected = "%" if target.measure == "cagr" else unit
            if target.unit != expected:
                raise InputError(f"unit is {target.unit!r}, but {target.indicator!r} ({target.measure}) is in {expected!r}",
                                 file=file, field=f"targets.{i}.unit")
        low, high, what = value_range(target.indicator, target.measure)
        assert target.value is not None  # the Target validator requires one when modelled
        if not low <= target.value <= high:
            raise InputError(f"{target.value:g} is outside what {target.indicator!r} ({target.measure}) can take: {what}",
                             file=file, field=f"targets.{i}.value")
    check_rules(scenario, file=file)
    return scenario


def _level_of(indicator: str) -> str | None:
    """The money level whose yearly growth ``indicator`` is (``x_growth`` of ``x``), if any."""
    level = indicator.removesuffix("_growth")
    return level if level != indicator and level in INDICATORS and is_money(INDICATORS[level].unit) else None


# the kinds of file a command may be given by mistake, and the command each is for
_KINDS = {"scenario": "run (or validate)", "sweep or sensitivity spec": "sweep or sensitivity",
          "calibration spec": "calibrate"}


def file_kind(data: Mapping[str, Any]) -> str | None:
    """What a mapping's top-level keys say the file is: a scenario (``population:``), a sweep or
    sensitivity spec (``factors:``), a calibration spec (``data:`` and a list of ``parameters:``)."""
    if "population" in data:
        return "scenario"
    if "factors" in data:
        return "sweep or sensitivity spec"
    if "data" in data and isinstance(data.get("parameters"), list):
        return "calibration spec"
    return None


def refuse_other_kind(data: Any, wanted: str, file: str) -> None:
    """One line for a file of another kind than the command takes (a sweep spec given to ``run``),
    in place of the dozen unknown keys its schema would list."""
    found = file_kind(data) if isinstance(data, Mapping) else None
    if found is not None and found != wanted:
        raise InputError(f"is a {found}, not a {wanted}; give it to upgrade-sim {_KINDS[found]}", file=file)


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


def lever_paths(scenario: Scenario) -> list[tuple[str, Any, str | None]]:
    """Every settable number of ``scenario``: (dotted path, current value, unit), levers first."""
    from pydantic import BaseModel

    from .paths import declared_unit
    from .quantity import Quantity

    found: list[tuple[str, Any, str | None]] = []

    def walk(model: BaseModel, path: str) -> None:
        for name in type(model).model_fields:
            child, here = getattr(model, name), f"{path}.{name}"
            if isinstance(child, Quantity):
                found.append((here, child.value, child.unit or declared_unit(scenario, here)))
            elif isinstance(child, BaseModel):
                walk(child, here)

    for section in ("levers", "parameters", "population"):
        walk(getattr(scenario, section), section)
    return found


def _child(node: Any, part: str, path: str, file: str) -> Any:
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise InputError(f"no list item {part!r}", file=file, field=path)
        return node[int(part)]
    if not isinstance(node, dict) or part not in node:
        known = list(node) if isinstance(node, dict) else []
        raise InputError(f"no such parameter or lever in the scenario{nearest(part, known)} "
                         "(upgrade-sim levers SCENARIO lists them)", file=file, field=path)
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


_NAMED = re.compile(r"^([a-z_][a-z0-9_]*): (.+)$", re.DOTALL)
_UNION_BRANCHES = {"float", "int", "str", "bool", "dict[int,float]", "list[float]", "dict[int,union[int,float]]"}


def _as_input_error(exc: ValidationError, file: str, model: type | None = None) -> InputError:
    """One message for a validation failure: the most telling problem, and how many others (an
    unknown key of ``model``'s, with the nearest keys allowed where it stands)."""
    problems: dict[str, tuple[str, str]] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"] if not _is_branch(str(p)))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            *parent, key = field.split(".")
            message = "unknown key (a typo?)" + (nearest(key, _keys_at(model, parent)) if model is not None else "")
        elif error["type"] == "missing":
            message = "required field is missing"
        elif field.endswith(".value") and error["type"] in ("float_parsing", "float_type", "int_type", "dict_type"):
            message = "must be a number" + ("" if field.startswith("targets.") else ", or a mapping of year to number")
            if isinstance(error.get("input"), str) and _reads_as_number(error["input"]):  # YAML 1.1 reads 3e4 as text
                message += f" ({error['input']!r} is text to YAML: write 30000 or 3.0e+4, with a dot and a sign)"
        elif error["type"] == "model_type" and "instance of Quantity" in message:
            message = "must be a cited quantity: {value: …, source: …} (or assume: … with the reason in place of source)"
        elif error["type"] == "model_type":
            message = "must be a mapping of this section's fields (upgrade-sim schema describes them)"
        named = _NAMED.match(message) if error["type"] == "value_error" else None
        if named:  # "points: a sobol design needs..." from a model's own check: name the field itself
            field, message = ".".join(p for p in (field, named[1]) if p), named[2]
        problems.setdefault(field, (error["type"], message))
    # an unknown key usually explains a "missing" one next to it: report the typo first
    field = next((f for f, (kind, _) in problems.items() if kind == "extra_forbidden"), next(iter(problems)))
    more = len(problems) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(problems[field][1].splitlines()[0] + suffix, file=file, field=field or None)


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _keys_at(model: type, path: list[str]) -> list[str]:
    """The keys a mapping at ``path`` (field names, list indices) inside ``model`` may hold; [] where
    the path leaves the models (a schedule, a free mapping)."""
    node: type | None = model
    for part in path:
        if part.isdigit():
            continue  # a list index: the items' model is the list's
        fields = getattr(node, "model_fields", {})
        if part not in fields:
            return []
        node = model_class(fields[part].annotation)
    return list(getattr(node, "model_fields", {}))


def _is_branch(part: str) -> bool:
    """A union branch pydantic names in an error's location (``int``, ``function-after[...]``...)."""
    return part in _UNION_BRANCHES or part.startswith(("function-", "constrained-", "json-or-python")) \
        or part.lower().replace(" ", "") in _UNION_BRANCHES
