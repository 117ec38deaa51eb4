"""The repository as HACS and Home Assistant's brands rules see it."""

import json
from pathlib import Path
import re
import tomllib

from PIL import Image

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "pushover_plus"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
HACS = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))


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
