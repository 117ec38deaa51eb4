"""The repository as HACS, the brands rules and the quality scale see it."""

import importlib
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from homeassistant.util.yaml import load_yaml_dict
from PIL import Image

from custom_components.pushover_plus import PLATFORMS

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "pushover_plus"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
HACS = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
# The rules of Home Assistant's Integration Quality Scale, tier by tier, as
# hassfest lists them (it checks core integrations' files only).
QUALITY_SCALE_RULES = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}


def quality_scale_statuses() -> dict[str, Any]:
    """Return each rule of quality_scale.yaml with its status and comment."""
    rules: dict[str, Any] = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))[
        "rules"
    ]
    return {
        name: value if isinstance(value, dict) else {"status": value}
        for name, value in rules.items()
    }


def test_license_file_matches_the_declared_license() -> None:
    """GitHub finds the license HACS checks for, and it is the declared one."""
    assert PROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_versions_agree_and_the_changelog_has_the_release() -> None:
    """The manifest, the project and the changelog name the same release."""
    version = MANIFEST["version"]
    assert PROJECT["project"]["version"] == version
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
        changelog,
        re.MULTILINE,
    )
    assert f"[{version}]: " in changelog


def test_manifest_keys_in_hassfest_order() -> None:
    """Hassfest wants domain, name, then the other keys in alphabetical order."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_minimum_home_assistant_is_the_same_everywhere() -> None:
    """hacs.json and the README state the same minimum version."""
    minimum = HACS["homeassistant"]
    major_minor = ".".join(minimum.split(".")[:2])
    assert f"Home Assistant {major_minor} or newer is required" in (
        ROOT / "README.md"
    ).read_text(encoding="utf-8")


def test_brand_icons_are_trimmed_squares() -> None:
    """256 by 256 and 512 by 512, with no transparent margin (the brands rules)."""
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(INTEGRATION / "brand" / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)
            assert image.getchannel("A").getbbox() == (0, 0, size, size), name


def test_workflows_run_the_readme_test_command() -> None:
    """The test workflow runs .ci/run, which runs the README's command."""
    tests = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    assert 'python-version: "3.14"' in tests
    assert "bash .ci/run" in tests
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in ci_run
    assert "scripts/test" in (ROOT / "README.md").read_text(encoding="utf-8")
    validate = (ROOT / ".github" / "workflows" / "validate.yml").read_text(
        encoding="utf-8"
    )
    assert "home-assistant/actions/hassfest" in validate
    assert "hacs/action" in validate


def test_quality_scale_names_every_rule_and_says_why_not_done() -> None:
    """Each rule once, done, todo or exempt; a rule not done gives its reason."""
    statuses = quality_scale_statuses()

    assert sorted(statuses) == sorted(
        rule for rules in QUALITY_SCALE_RULES.values() for rule in rules
    )
    for name, value in statuses.items():
        assert value["status"] in {"done", "todo", "exempt"}, name
        if value["status"] != "done":
            assert value.get("comment"), f"{name} gives no reason"


def test_quality_scale_dependency_rules_follow_the_manifest() -> None:
    """Without requirements the rules about a dependency's package are exempt."""
    statuses = quality_scale_statuses()
    has_requirements = bool(MANIFEST["requirements"])

    for name in ("dependency-transparency", "async-dependency"):
        assert (statuses[name]["status"] == "exempt") is not has_requirements, name


def test_every_platform_sets_parallel_updates() -> None:
    """The parallel-updates rule: each platform module says how many at once."""
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.pushover_plus.{platform}")
        assert isinstance(module.PARALLEL_UPDATES, int), platform


def test_no_file_keeps_a_merge_conflict() -> None:
    """A conflict left in a text file (the changelog once had one) fails here."""
    marker = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
    texts = [
        path
        for pattern in ("*.md", "*.py", "*.json", "*.yaml", "*.toml", "*.js")
        for path in ROOT.rglob(pattern)
        if not {".git", ".e2e", ".venv", "node_modules"} & set(path.parts)
        and not path.is_relative_to(ROOT / "config")
    ]

    assert [p for p in texts if marker.search(p.read_text("utf-8"))] == []


def test_the_layout_table_names_every_module() -> None:
    """The README's Layout table is the map: a module it lacks is lost on it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("### Layout") :]
    listed = set(re.findall(r"^\| `([^`]+)` \|", layout, re.MULTILINE))
    modules = {path.relative_to(ROOT).as_posix() for path in INTEGRATION.glob("*.py")}

    assert sorted(modules - listed) == []
