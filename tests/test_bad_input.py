"""Bad input at the action level: refused with a translated error, nothing sent.

Every case calls `pushover_plus.send_message` (or the legacy
`notify.pushover`, for data written for the built-in integration) with one
mistake. Each must fail with a `ServiceValidationError` naming a translated
reason, before a single request reaches Pushover (the simulator).
"""

from collections.abc import Mapping
from dataclasses import dataclass
import json
from pathlib import Path
import string
from typing import Any, Final

from homeassistant.const import CONF_API_TOKEN, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_USER_KEY,
    DOMAIN,
    MAX_ATTACHMENT_BYTES,
)
from pushover_simulator import TEST_OTHER_APP_TOKEN, TEST_USER_KEY, PushoverSimulator

HA_DOMAIN = "homeassistant"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
ALLOWED_URL = "http://127.0.0.1:9/allowed/"

EXCEPTIONS: dict[str, dict[str, str]] = json.loads(
    (
        Path(__file__).parent.parent
        / "custom_components"
        / DOMAIN
        / "translations"
        / "en.json"
    ).read_text()
)["exceptions"]


@dataclass(frozen=True, slots=True)
class Case:
    """One bad call: its data, the refusal it earns, and how it is made.

    Strings in `data` may name `{allowed}` and `{outside}` (directories inside
    and outside allowlist_external_dirs), `{demo_entry}` (an entry of another
    integration) and `{unloaded_entry}` (a second entry, not set up).
    """

    data: Mapping[str, Any]
    key: str
    domain: str = DOMAIN
    legacy: bool = False
    second_entry: bool = False


def action(key: str, **data: Any) -> Case:
    """Return a `pushover_plus.send_message` case refused with `key`."""
    return Case({"message": "Door open", **data}, key)


def legacy(key: str, **data: Any) -> Case:
    """Return a `notify.pushover` case refused with `key`."""
    return Case({"message": "Door open", **data}, key, legacy=True)


def entry(key: str, entry_id: str, *, second_entry: bool = False) -> Case:
    """Return a case whose config entry Home Assistant refuses with `key`."""
    data = {"message": "Door open"}
    if entry_id:
        data["config_entry_id"] = entry_id
    return Case(data, key, HA_DOMAIN, second_entry=second_entry)


CASES: Final[dict[str, Case]] = {
    # Empty, over-long and wrongly typed fields.
    "message-empty": action("message_empty", message=""),
    "message-blank": action("message_empty", message=" \n\t "),
    "message-number": action("invalid_type", message=5),
    "message-list": action("invalid_type", message=["Door", "open"]),
    "title-251": action("title_too_long", title="t" * 251),
    "url-513": action("url_too_long", url="https://example.com/" + "x" * 493),
    "url-title-101": action("url_title_too_long", url_title="u" * 101),
    "title-number": action("invalid_type", title=5),
    "html-maybe": action("invalid_type", html="maybe"),
    "monospace-2": action("invalid_type", monospace=2),
    "ttl-text": action("invalid_type", ttl="x"),
    "ttl-fraction": action("invalid_type", ttl=1.5),
    "ttl-zero": action("ttl_not_positive", ttl=0),
    "ttl-negative": action("ttl_not_positive", ttl=-60),
    "tags-number": action("invalid_type", tags=5),
    "tags-mixed": action("invalid_type", tags=["door", 5]),
    "device-number": action("invalid_type", device=7),
    # Priority and emergency timing.
    "priority-misspelt": action("priority_invalid", priority="urgent"),
    "priority-3": action("priority_invalid", priority=3),
    "priority-minus-3": action("priority_invalid", priority=-3),
    "priority-fraction": action("priority_invalid", priority=1.5),
    "retry-29": action("retry_too_short", priority="emergency", retry=29),
    "expire-10801": action("expire_out_of_range", priority="emergency", expire=10801),
    "expire-0": action("expire_out_of_range", priority="emergency", expire=0),
    "html-with-monospace": action("html_with_monospace", html=True, monospace=True),
    # Device names: 1 to 25 letters, digits, _ or -.
    "device-space": action("device_name_invalid", device="my phone"),
    "device-slash": action("device_name_invalid", device="phone/1"),
    "device-26-chars": action("device_name_invalid", device="d" * 26),
    "device-unicode": action("device_name_invalid", device="téléphone"),
    "device-one-bad-of-two": action("device_name_invalid", device=["phone", "a b"]),
    # Timestamps and callbacks.
    "timestamp-garbage": action("timestamp_invalid", timestamp="next tuesday"),
    "timestamp-no-date": action("timestamp_invalid", timestamp="2024-13-45T00:00:00"),
    "timestamp-bool": action("timestamp_invalid", timestamp=True),
    "timestamp-list": action("timestamp_invalid", timestamp=[1_700_000_000]),
    "callback-ftp": action("callback_url_invalid", callback_url="ftp://example.com/a"),
    "callback-no-scheme": action("callback_url_invalid", callback_url="example.com/a"),
    "callback-no-host": action("callback_url_invalid", callback_url="https://"),
    "callback-number": action("invalid_type", callback_url=5),
    # Attachments.
    "attachment-too-big": action(
        "attachment_too_large", attachment="{allowed}/big.png"
    ),
    "attachment-not-image": action(
        "attachment_not_image", attachment="{allowed}/notes.txt"
    ),
    "attachment-outside": action(
        "attachment_not_allowed", attachment="{outside}/picture.png"
    ),
    "attachment-traversal": action(
        "attachment_not_allowed", attachment="{allowed}/../outside/picture.png"
    ),
    "attachment-missing": action(
        "attachment_unreadable", attachment="{allowed}/gone.png"
    ),
    "attachment-number": action("invalid_type", attachment=5),
    "attachment-url-elsewhere": action(
        "attachment_url_not_allowed", attachment_url="https://example.com/cam.jpg"
    ),
    "attachment-url-other-path": action(
        "attachment_url_not_allowed", attachment_url="http://127.0.0.1:9/private.png"
    ),
    "attachment-url-unparsable": action(
        "attachment_url_not_allowed", attachment_url="http://[bad"
    ),
    "attachment-entity-unknown": action(
        "attachment_entity_not_found", attachment_entity="camera.nowhere"
    ),
    "attachment-entity-sensor": action(
        "attachment_entity_not_found", attachment_entity="sensor.x"
    ),
    "attachment-two-sources": action(
        "attachment_conflict",
        attachment="{allowed}/picture.png",
        attachment_url=ALLOWED_URL + "picture.png",
    ),
    # Keys and recipients.
    "unknown-key": action("unknown_data_key", colour="red"),
    "legacy-data-on-action": action("unknown_data_key", data={"priority": 1}),
    "unknown-recipient": action("unknown_recipient", recipients=["Nobody"]),
    # Config entries, checked by Home Assistant.
    "entry-nonexistent": entry("service_config_entry_not_found", "0" * 26),
    "entry-other-integration": entry(
        "service_config_entry_wrong_domain", "{demo_entry}"
    ),
    "entry-not-loaded": entry(
        "service_config_entry_not_loaded", "{unloaded_entry}", second_entry=True
    ),
    "entry-ambiguous": entry(
        "service_found_multiple_config_entry_for_domain", "", second_entry=True
    ),
    # The legacy notify action and the built-in integration's data.
    "legacy-unknown-data-key": legacy("unknown_data_key", data={"colour": "red"}),
    "legacy-title-in-data": legacy("unknown_data_key", data={"title": "Door"}),
    "legacy-message-empty": legacy("message_empty", message=""),
    "legacy-priority-misspelt": legacy("priority_invalid", data={"priority": "hi"}),
    "legacy-retry-10": legacy("retry_too_short", data={"priority": 2, "retry": 10}),
    "legacy-target-bad-device": legacy("device_name_invalid", target=["my phone"]),
    "legacy-html-with-monospace": legacy(
        "html_with_monospace", data={"html": 1, "monospace": 1}
    ),
    "legacy-attachment-outside": legacy(
        "attachment_not_allowed", data={"attachment": "{outside}/picture.png"}
    ),
}


def fill(value: Any, places: Mapping[str, str]) -> Any:
    """Replace the `{name}` placeholders in every string of `value`."""
    if isinstance(value, str):
        return value.format_map(places)
    if isinstance(value, Mapping):
        return {key: fill(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, places) for item in value]
    return value


def placeholders_of(key: str) -> set[str]:
    """Return the placeholders that the English text of an error uses."""
    return {
        name
        for _, name, _, _ in string.Formatter().parse(EXCEPTIONS[key]["message"])
        if name
    }


@pytest.fixture
def places(hass: HomeAssistant, tmp_path: Path) -> dict[str, str]:
    """Make the files, entities and entries that the cases name."""
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "picture.png").write_bytes(PNG)
    (allowed / "notes.txt").write_text("not a picture")
    with (allowed / "big.png").open("wb") as big:
        # One byte over the limit; sparse, so it costs no disk or time.
        big.write(PNG)
        big.truncate(MAX_ATTACHMENT_BYTES + 1)
    (outside / "picture.png").write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(allowed)}
    hass.config.allowlist_external_urls = {ALLOWED_URL}
    hass.states.async_set("sensor.x", "21")
    demo = MockConfigEntry(domain="demo", title="Demo")
    demo.add_to_hass(hass)
    return {
        "allowed": str(allowed),
        "outside": str(outside),
        "demo_entry": demo.entry_id,
        "unloaded_entry": "",
    }


def add_unloaded_entry(hass: HomeAssistant) -> str:
    """Add a second Pushover Plus entry that is not set up; return its id."""
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        data={
            CONF_NAME: "Second",
            CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
            CONF_USER_KEY: TEST_USER_KEY,
        },
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
    )
    second.add_to_hass(hass)
    return second.entry_id


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=name) for name, case in CASES.items()]
)
async def test_bad_input_is_refused_before_any_request(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    places: dict[str, str],
    case: Case,
) -> None:
    """The call fails with a translated validation error; Pushover hears nothing."""
    if case.second_entry:
        places["unloaded_entry"] = add_unloaded_entry(hass)
    data = fill(case.data, places)
    requests_before = len(simulator.requests)
    domain, service = (
        ("notify", "pushover") if case.legacy else (DOMAIN, "send_message")
    )

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(domain, service, data, blocking=True)
    await hass.async_block_till_done()

    error = refused.value
    assert (error.translation_domain, error.translation_key) == (case.domain, case.key)
    if case.domain == DOMAIN:
        assert set(error.translation_placeholders or {}) == placeholders_of(case.key)
    assert len(simulator.requests) == requests_before
    assert simulator.messages == []
