"""The translations: every key is used, every step and action exists.

A key that nothing uses is a text that no user can ever see, and usually the
sign of an error raised under another name. Keys are looked for in the
integration's own code: as string constants, or as the shape of an f-string
that builds them (`f"{field}_too_long"`).

Every other language has exactly the English keys and, in every string, the
English placeholders: a key added to en.json fails here until it is
translated. Home Assistant compares placeholders the same way when it loads a
language, and drops a string whose set differs (showing the English one, with
an error in the log), so a lost placeholder would otherwise go unnoticed.
"""

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.util.yaml import load_yaml_dict
import pytest

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "pushover_plus"
TRANSLATIONS: dict[str, Any] = json.loads(
    (INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8")
)
OTHER_LANGUAGES = sorted(
    path
    for path in (INTEGRATION / "translations").glob("*.json")
    if path.name != "en.json"
)
SERVICES: dict[str, Any] = dict(load_yaml_dict(INTEGRATION / "services.yaml"))
# Reasons Home Assistant's own helpers abort with (async_update_and_abort).
IMPLICIT_ABORTS = {"reauth_successful", "reconfigure_successful"}


def _code_names() -> tuple[set[str], list[re.Pattern[str]], set[str]]:
    """Return the string constants, f-string shapes and function names in the code."""
    constants: set[str] = set()
    shapes: list[re.Pattern[str]] = []
    functions: set[str] = set()
    for path in INTEGRATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                shapes.append(
                    re.compile(
                        "".join(
                            re.escape(str(part.value))
                            if isinstance(part, ast.Constant)
                            else ".+"
                            for part in node.values
                        )
                    )
                )
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.add(node.name)
    return constants, shapes, functions


CONSTANTS, SHAPES, FUNCTIONS = _code_names()


def _used(key: str) -> bool:
    return key in CONSTANTS or any(shape.fullmatch(key) for shape in SHAPES)


def _flow_sections() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "config", TRANSLATIONS["config"]
    yield "options", TRANSLATIONS["options"]
    for name, section in TRANSLATIONS["config_subentries"].items():
        yield f"config_subentries.{name}", section


def test_exception_and_issue_keys_are_raised() -> None:
    """Every exception and repair issue text belongs to an error the code raises."""
    unused = [
        f"{section}.{key}"
        for section in ("exceptions", "issues")
        for key in TRANSLATIONS[section]
        if not _used(key)
    ]
    assert unused == []


# Calls whose first argument or `translation_key` names an exception text.
EXCEPTION_CALLS = {
    "FieldError",
    "HomeAssistantError",
    "ServiceValidationError",
    "ConfigEntryNotReady",
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
}


def _module_constants() -> dict[str, str]:
    """Return the code's module-level names bound to a string (`KEY: Final = "x"`)."""
    constants: dict[str, str] = {}
    for path in INTEGRATION.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr | None = (
                node.target if isinstance(node, ast.AnnAssign) else None
            )
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                constants[target.id] = value.value
    return constants


def _literals(node: ast.expr, constants: dict[str, str]) -> Iterator[str]:
    """Yield the strings an argument can be: a literal, a constant, either branch."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Name) and node.id in constants:
        yield constants[node.id]
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body, constants)
        yield from _literals(node.orelse, constants)


def _raised_keys() -> Iterator[tuple[str, str, str]]:
    """Yield (section, key, place) for each key the code raises with by name."""
    constants = _module_constants()
    for path in INTEGRATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else getattr(func, "id", "")
            )
            if name in EXCEPTION_CALLS:
                section = "exceptions"
                keys = [kw.value for kw in node.keywords if kw.arg == "translation_key"]
                if name == "FieldError" and node.args:
                    keys.append(node.args[0])
            elif name == "async_raise_issue" and len(node.args) > 1:
                section, keys = "issues", [node.args[1]]
            else:
                continue
            for key in keys:
                for text in _literals(key, constants):
                    yield section, text, f"{path.name}:{node.lineno}"


def test_every_raised_key_has_a_text() -> None:
    """A key the code raises with is translated: else users see the bare key."""
    missing = [
        f"{place}: {section}.{key}"
        for section, key, place in _raised_keys()
        if key not in TRANSLATIONS[section]
    ]
    assert missing == []
    # The walk finds the code's raises at all (it would pass on nothing).
    assert {section for section, _, _ in _raised_keys()} == {"exceptions", "issues"}


def test_flow_errors_and_aborts_are_used() -> None:
    """Every form error and abort reason is one a flow can give."""
    unused = [
        f"{name}.{kind}.{key}"
        for name, section in _flow_sections()
        for kind in ("error", "abort")
        for key in section.get(kind, {})
        if not _used(key) and key not in IMPLICIT_ABORTS
    ]
    assert unused == []


def test_flow_steps_exist() -> None:
    """Every translated step is a step of a flow."""
    missing = [
        f"{name}.step.{step}"
        for name, section in _flow_sections()
        for step in section.get("step", {})
        if f"async_step_{step}" not in FUNCTIONS
    ]
    assert missing == []


def test_entity_device_and_selector_keys_are_used() -> None:
    """Every entity, device and selector translation key is set in the code."""
    unused = [
        f"entity.{platform}.{key}"
        for platform, keys in TRANSLATIONS["entity"].items()
        for key in keys
        if not _used(key)
    ]
    unused += [
        f"{section}.{key}"
        for section in ("device", "selector")
        for key in TRANSLATIONS[section]
        if not _used(key)
    ]
    assert unused == []


def _declared(action: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Return an action's fields, those of its sections included, and its sections."""
    fields: set[str] = set()
    sections: set[str] = set()
    for name, field in (action.get("fields") or {}).items():
        if "fields" in (field or {}):
            sections.add(name)
            fields |= set(field["fields"])
        else:
            fields.add(name)
    return fields, sections


def test_actions_and_their_fields_match_services_yaml() -> None:
    """The translated actions, fields and sections are those of services.yaml."""
    translated = {
        name: (set(action.get("fields", {})), set(action.get("sections", {})))
        for name, action in TRANSLATIONS["services"].items()
    }
    declared = {name: _declared(action) for name, action in SERVICES.items()}
    assert translated == declared


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return every text of a translation tree by its dotted path."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            leaves |= _leaves(value, f"{prefix}{key}.")
        else:
            leaves[f"{prefix}{key}"] = value
    return leaves


def _placeholders(text: str) -> set[str]:
    """Return the names in a text's braces, as Home Assistant fills them."""
    try:
        return {
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        }
    except ValueError as err:
        # A lone brace: the text cannot be filled at all, which is the finding.
        return {f"unreadable ({err})"}


ENGLISH = _leaves(TRANSLATIONS)


# The languages the README promises, beside English.
PROMISED_LANGUAGES = {
    "cs", "da", "de", "es", "fr", "it", "nb", "nl", "pl", "pt", "pt-BR", "sv",
}  # fmt: skip


def test_every_promised_language_is_shipped() -> None:
    """No language the README lists is missing, and none is shipped unlisted."""
    assert {path.stem for path in OTHER_LANGUAGES} == PROMISED_LANGUAGES


@pytest.mark.parametrize("path", OTHER_LANGUAGES, ids=lambda path: path.stem)
def test_a_translation_has_the_english_keys(path: Path) -> None:
    """A language has every English key, and no other, with the same nesting."""
    translated = _leaves(json.loads(path.read_text(encoding="utf-8")))

    assert {
        "missing": sorted(ENGLISH.keys() - translated.keys()),
        "extra": sorted(translated.keys() - ENGLISH.keys()),
        "not text": sorted(
            key for key, value in translated.items() if not isinstance(value, str)
        ),
    } == {"missing": [], "extra": [], "not text": []}


@pytest.mark.parametrize("path", OTHER_LANGUAGES, ids=lambda path: path.stem)
def test_a_translation_keeps_the_english_placeholders(path: Path) -> None:
    """Every translated text fills the same placeholders as its English one."""
    translated = _leaves(json.loads(path.read_text(encoding="utf-8")))

    differing = {
        key: {
            "english": sorted(_placeholders(ENGLISH[key])),
            "translated": sorted(_placeholders(text)),
        }
        for key, text in translated.items()
        if key in ENGLISH
        and isinstance(text, str)
        and _placeholders(text) != _placeholders(ENGLISH[key])
    }
    assert differing == {}


@pytest.mark.parametrize(
    "path",
    [INTEGRATION / "translations" / "en.json", *OTHER_LANGUAGES],
    ids=lambda path: path.stem,
)
def test_no_apostrophe_starts_a_quote(path: Path) -> None:
    """No text has an apostrophe that the frontend would read as a quote.

    The frontend reads texts as ICU messages, where an apostrophe before a
    brace, an angle bracket or another apostrophe starts quoted literal text:
    "l'{name}" would show "l{name}" instead of the name, and everything up to
    the next apostrophe with it. French elisions are where this happens.
    """
    texts = _leaves(json.loads(path.read_text(encoding="utf-8")))

    assert [
        key
        for key, text in texts.items()
        if isinstance(text, str) and re.search(r"'['{}<>]", text)
    ] == []
