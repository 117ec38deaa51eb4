"""The development instance: its configuration and what scripts/develop writes.

The HTTP settings that scripts/develop_config.py writes are loaded by Home
Assistant's own HTTP settings store, as at a start of the instance: a first
start is confirmed at once (no trial, no repair), a later one keeps what a
user changed in the UI.
"""

from collections.abc import Iterator
import fcntl
import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant import bootstrap, components
from homeassistant.components.http.config import (
    DATA_STORE,
    ActiveConfigType,
    ConfData,
    async_load_config,
)
from homeassistant.components.script.config import (
    async_validate_config as async_validate_script_config,
)
from homeassistant.config import async_hass_config_yaml
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
import pytest

from scripts.develop_config import (
    HTTP_STORE,
    INCLUDED_FILES,
    RUN_LOCK,
    PrepareError,
    main,
    prepare,
    write_http_port,
)

ROOT = Path(__file__).parent.parent
SHIPPED_CONFIG = ROOT / "config"
INTEGRATION_MANIFEST = ROOT / "custom_components" / "pushover_plus" / "manifest.json"
# What the README says the development instance leaves out of default_config,
# and what they would bring along: hardware, discovery, an account or the
# internet, programs and packages the toolchain lacks.
LEFT_OUT = {
    "bluetooth",
    "cloud",
    "dhcp",
    "file",
    "go2rtc",
    "google_assistant",
    "homeassistant_alerts",
    "matter",
    "mobile_app",
    "ssdp",
    "stream",
    "usb",
    "zeroconf",
}
PORT = 8124
OTHER_PORT = 18123
# A user's choices in the UI, none of them a default.
UI_SETTINGS = {
    "server_host": ["0.0.0.0"],  # noqa: S104 - what a user may choose
    "login_attempts_threshold": 5,
    "ip_ban_enabled": False,
    "use_x_frame_options": False,
}


def shipped_config_dir(config_dir: Path) -> Path:
    """Copy what config/ ships into `config_dir` and prepare it for a start."""
    shutil.copy(SHIPPED_CONFIG / "configuration.yaml", config_dir)
    shutil.copytree(SHIPPED_CONFIG / "scripts", config_dir / "scripts")
    prepare(config_dir, PORT)
    return config_dir


def manifest(domain: str) -> dict[str, Any] | None:
    """Return a built-in integration's manifest, None for an unknown domain."""
    path = Path(components.__file__).parent / domain / "manifest.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def brought_along(domains: set[str], integration: dict[str, Any]) -> set[str]:
    """Return every integration whose packages Home Assistant would install.

    That is each one set up, with its dependencies and after-dependencies
    and the discovery integrations its manifest names, transitively.
    """
    found: set[str] = set()
    pending = [
        *domains,
        *integration["dependencies"],
        *integration["after_dependencies"],
    ]
    while pending:
        domain = pending.pop()
        if domain in found or (loaded := manifest(domain)) is None:
            continue
        found.add(domain)
        pending += loaded.get("dependencies", []) + loaded.get("after_dependencies", [])
        pending += [
            discovery
            for discovery, keys in DISCOVERY_INTEGRATIONS.items()
            if any(key in loaded for key in keys)
        ]
    return found


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """Return an empty configuration directory."""
    path = tmp_path / "config"
    path.mkdir()
    return path


def read_store(config_dir: Path) -> dict[str, Any]:
    """Return .storage/http as written."""
    store: dict[str, Any] = json.loads(
        (config_dir / HTTP_STORE).read_text(encoding="utf-8")
    )
    return store


def write_store(config_dir: Path, store: dict[str, Any]) -> None:
    """Put a store on disk as Home Assistant left it."""
    path = config_dir / HTTP_STORE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store), encoding="utf-8")


async def start_http_settings(
    hass: HomeAssistant, hass_storage: dict[str, Any], store: dict[str, Any]
) -> ConfData:
    """Load `store` as Home Assistant's HTTP settings do at a start.

    Returns the settings the server would start with; the store Home
    Assistant saved is left in `hass_storage["http"]`.
    """
    hass.data.pop(DATA_STORE, None)
    hass_storage["http"] = json.loads(json.dumps(store))
    return await async_load_config(hass, {})


def http_issues(hass: HomeAssistant) -> list[tuple[str, str]]:
    """Return the repair issues of Home Assistant's HTTP settings."""
    return [key for key in ir.async_get(hass).issues if key[0] == "http"]


async def test_first_start_is_confirmed_without_a_repair(
    hass: HomeAssistant, hass_storage: dict[str, Any], config_dir: Path
) -> None:
    """A new store starts the server on the port at once, loopback only."""
    assert write_http_port(config_dir, PORT)

    settings = await start_http_settings(hass, hass_storage, read_store(config_dir))

    assert settings["server_port"] == PORT
    assert settings["server_host"] == ["127.0.0.1"]
    store = hass.data[DATA_STORE]
    assert store.active_config_type is ActiveConfigType.STABLE
    assert store.pending is None
    assert store.revert_deadline is None
    assert store.yaml_migration_done
    assert http_issues(hass) == []


async def test_later_start_moves_the_port_and_keeps_ui_settings(
    hass: HomeAssistant, hass_storage: dict[str, Any], config_dir: Path
) -> None:
    """Settings a user changed in the UI survive; only the port is set."""
    write_http_port(config_dir, PORT)
    await start_http_settings(hass, hass_storage, read_store(config_dir))
    saved = hass_storage["http"]
    saved["data"]["stable"].update(UI_SETTINGS)
    write_store(config_dir, saved)

    assert write_http_port(config_dir, OTHER_PORT)
    settings = await start_http_settings(hass, hass_storage, read_store(config_dir))

    assert settings["server_port"] == OTHER_PORT
    assert {name: settings.get(name) for name in UI_SETTINGS} == UI_SETTINGS
    assert hass.data[DATA_STORE].active_config_type is ActiveConfigType.STABLE
    assert http_issues(hass) == []


async def test_settings_on_trial_get_the_port_too(
    hass: HomeAssistant, hass_storage: dict[str, Any], config_dir: Path
) -> None:
    """Settings the UI saved but nobody confirmed yet start on the port."""
    write_http_port(config_dir, PORT)
    await start_http_settings(hass, hass_storage, read_store(config_dir))
    saved = hass_storage["http"]
    trial = {**saved["data"]["stable"], **UI_SETTINGS, "server_port": 9999}
    saved["data"]["pending"] = trial
    write_store(config_dir, saved)

    write_http_port(config_dir, OTHER_PORT)
    settings = await start_http_settings(hass, hass_storage, read_store(config_dir))

    store = hass.data[DATA_STORE]
    assert store.active_config_type is ActiveConfigType.PENDING
    assert settings["server_port"] == OTHER_PORT
    assert settings["login_attempts_threshold"] == 5
    assert store.stable["server_port"] == OTHER_PORT
    store.async_cancel_revert()


def test_failed_trial_is_left_as_it_was(config_dir: Path) -> None:
    """Settings that failed their trial are never applied: they keep their port."""
    failed = {"server_port": 9999, "error": "not_promoted", "error_message": None}
    write_store(
        config_dir,
        {
            "version": 2,
            "minor_version": 2,
            "key": "http",
            "data": {
                "stable": {"server_port": PORT},
                "pending": failed,
                "yaml_migration_done": True,
            },
        },
    )

    write_http_port(config_dir, OTHER_PORT)

    data = read_store(config_dir)["data"]
    assert data["stable"] == {"server_port": OTHER_PORT}
    assert data["pending"] == failed


def test_store_with_the_port_is_not_rewritten(config_dir: Path) -> None:
    """A start on the same port changes nothing on disk."""
    assert write_http_port(config_dir, PORT)
    before = (config_dir / HTTP_STORE).read_bytes()

    assert not write_http_port(config_dir, PORT)
    assert (config_dir / HTTP_STORE).read_bytes() == before


def test_store_is_private(config_dir: Path) -> None:
    """Home Assistant keeps the file readable by its owner only; so does this."""
    write_http_port(config_dir, PORT)

    assert (config_dir / HTTP_STORE).stat().st_mode & 0o777 == 0o600
    assert [path.name for path in (config_dir / ".storage").iterdir()] == ["http"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not JSON"),
        ('{"key": "core.config", "version": 1, "data": {}}', "HTTP settings store"),
        ('["http"]', "HTTP settings store"),
        ('{"key": "http", "version": 3, "data": {}}', "version 3"),
        ('{"key": "http", "version": 2, "data": {"stable": null}}', "version 2"),
        ('{"key": "http", "version": 1, "data": null}', "version 1"),
    ],
)
def test_unknown_store_is_refused(config_dir: Path, content: str, reason: str) -> None:
    """A store this script cannot read is named and left alone."""
    path = config_dir / HTTP_STORE
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")

    with pytest.raises(PrepareError, match=reason):
        write_http_port(config_dir, PORT)

    assert path.read_text(encoding="utf-8") == content


def test_ui_files_are_created_once(config_dir: Path) -> None:
    """The files configuration.yaml includes appear empty; existing ones stay."""
    written = prepare(config_dir, PORT)

    assert written == [*INCLUDED_FILES, HTTP_STORE.as_posix()]
    assert (config_dir / "automations.yaml").read_text(encoding="utf-8") == "[]\n"
    assert (config_dir / "scripts.yaml").read_text(encoding="utf-8") == ""
    assert (config_dir / "scenes.yaml").read_text(encoding="utf-8") == ""

    made_in_the_ui = "- id: '1'\n  alias: Made in the UI\n"
    (config_dir / "automations.yaml").write_text(made_in_the_ui, encoding="utf-8")
    assert prepare(config_dir, PORT) == []
    assert (config_dir / "automations.yaml").read_text(
        encoding="utf-8"
    ) == made_in_the_ui


@pytest.fixture
def running_instance(config_dir: Path) -> Iterator[None]:
    """Hold the lock a running Home Assistant holds on its directory."""
    with (config_dir / RUN_LOCK).open("a+", encoding="utf-8") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


def test_running_instance_is_left_alone(
    config_dir: Path, running_instance: None
) -> None:
    """Nothing is written while a Home Assistant runs with the directory."""
    with pytest.raises(PrepareError, match="already running"):
        prepare(config_dir, PORT)

    assert [path.name for path in config_dir.iterdir()] == [RUN_LOCK]


def test_stopped_instance_lock_does_not_stop_a_start(config_dir: Path) -> None:
    """The lock file Home Assistant leaves behind is not a running instance."""
    (config_dir / RUN_LOCK).write_text('{"pid": 1}', encoding="utf-8")

    assert HTTP_STORE.as_posix() in prepare(config_dir, PORT)


def test_command_line_reports_what_it_wrote(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python scripts/develop_config.py --port N DIR` names each file written."""
    main(["--port", str(PORT), str(config_dir)])

    written = capsys.readouterr().out.splitlines()
    assert written == [
        f"Wrote {config_dir / name}"
        for name in [*INCLUDED_FILES, HTTP_STORE.as_posix()]
    ]
    assert read_store(config_dir)["data"]["server_port"] == PORT


@pytest.mark.parametrize("port", ["0", "65536", "80a", ""])
def test_command_line_refuses_a_bad_port(
    config_dir: Path, port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port outside 1 to 65535 is named in the error; nothing is written."""
    with pytest.raises(SystemExit) as exited:
        main(["--port", port, str(config_dir)])

    assert exited.value.code == 2
    assert f"{port!r} is not a TCP port (1 to 65535)" in capsys.readouterr().err
    assert list(config_dir.iterdir()) == []


def test_command_line_fails_with_the_reason(
    config_dir: Path, running_instance: None
) -> None:
    """A directory that cannot be prepared ends the start with the reason."""
    with pytest.raises(SystemExit, match="already running") as exited:
        main(["--port", str(PORT), str(config_dir)])

    assert str(exited.value.code).startswith("scripts/develop: ")


async def test_shipped_configuration_is_a_normal_installation(
    hass: HomeAssistant,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """config/ loads like a new installation's, with the examples beside the UI's.

    No http: block, the UI's three files included, the example scripts under
    a key of their own, and the hello script's picture readable through the
    allowlisted folder, named as scripts/develop names it.
    """
    shipped_config_dir(config_dir)
    (config_dir / "scripts.yaml").write_text(
        "made_in_the_ui:\n  sequence: []\n", encoding="utf-8"
    )
    hass.config.config_dir = str(config_dir)
    # As scripts/develop runs Home Assistant: from the repository.
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(
        "PUSHOVER_PLUS_ATTACHMENTS_DIR", str(SHIPPED_CONFIG / "attachments")
    )

    config = await async_hass_config_yaml(hass)

    assert "http" not in config
    # Included, and empty as in a new installation.
    assert not config["automation"]
    assert not config["scene"]
    await async_process_ha_core_config(hass, config["homeassistant"])
    scripts = (await async_validate_script_config(hass, config))["script"]
    assert set(scripts) == {
        "made_in_the_ui",
        "pushover_plus_hello",
        "pushover_plus_emergency",
    }
    picture = scripts["pushover_plus_hello"]["sequence"][0]["data"]["attachment"]
    assert await hass.async_add_executor_job(hass.config.is_allowed_path, picture)
    assert (ROOT / picture).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


async def test_shipped_configuration_brings_nothing_left_out(
    hass: HomeAssistant, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing set up pulls in what the README leaves out, not even indirectly.

    Home Assistant installs the packages of every integration it sets up, of
    their dependencies and of their after-dependencies: one more line (for
    example mobile_app, through Home Assistant Cloud) would install packages
    into the toolchain at the first start.
    """
    hass.config.config_dir = str(shipped_config_dir(config_dir))
    monkeypatch.setenv("PUSHOVER_PLUS_ATTACHMENTS_DIR", str(config_dir))
    config = await async_hass_config_yaml(hass)
    domains = {cv.domain_key(key) for key in config} | bootstrap.DEFAULT_INTEGRATIONS
    integration = json.loads(INTEGRATION_MANIFEST.read_text(encoding="utf-8"))

    loaded = brought_along(domains, integration)

    assert {"recorder", "history", "logbook", "diagnostics", "energy"} <= loaded
    assert loaded & LEFT_OUT == set()
