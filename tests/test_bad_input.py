"""Bad input at the action level: refused with a translated error, nothing sent.

Every case calls `pushover_plus.send_message` (or the legacy
`notify.pushover`, for data written for the built-in integration) with one
mistake. Each must fail with a `ServiceValidationError` naming a translated
reason, before a single request reaches Pushover (the simulator).
"""

import asyncio
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
import json
import os
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
    "message-number": action("invalid_type_text", message=5),
    "message-list": action("invalid_type_text", message=["Door", "open"]),
    "title-251": action("title_too_long", title="t" * 251),
    "url-513": action("url_too_long", url="https://example.com/" + "x" * 493),
    "url-title-101": action("url_title_too_long", url_title="u" * 101),
    "title-number": action("invalid_type_text", title=5),
    "html-maybe": action("invalid_type_boolean", html="maybe"),
    "monospace-2": action("invalid_type_boolean", monospace=2),
    "ttl-text": action("invalid_type_whole_number", ttl="x"),
    "ttl-fraction": action("invalid_type_whole_number", ttl=1.5),
    "ttl-zero": action("ttl_not_positive", ttl=0),
    "ttl-negative": action("ttl_not_positive", ttl=-60),
    "tags-number": action("invalid_type_names", tags=5),
    "tags-mixed": action("invalid_type_names", tags=["door", 5]),
    "device-number": action("invalid_type_names", device=7),
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
    "callback-number": action("invalid_type_url", callback_url=5),
    # Attachments.
    "attachment-too-big": action(
        "attachment_too_large",
        attachment="{allowed}/big.png",
        attachment_resize=False,
    ),
    "attachment-damaged-over-limit": action(
        "attachment_picture_unreadable", attachment="{allowed}/big.png"
    ),
    "base64-invalid": action(
        "attachment_base64_invalid",
        attachment_base64="not*base64",
        attachment_type="image/png",
    ),
    "base64-without-type": action(
        "attachment_type_missing", attachment_base64="iVBORw0KGgo="
    ),
    "type-without-base64": action(
        "attachment_type_without_base64", attachment_type="image/png"
    ),
    "base64-of-a-document": action(
        "attachment_type_invalid",
        attachment_base64="JVBERi0xLjcK",
        attachment_type="application/pdf",
    ),
    "base64-of-text": action(
        "attachment_not_image",
        attachment_base64="aGVsbG8=",
        attachment_type="image/png",
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
    "attachment-number": action("invalid_type_text", attachment=5),
    "attachment-text-named-jpg": action(
        "attachment_not_image", attachment="{allowed}/notes.jpg"
    ),
    "attachment-empty": action("attachment_empty", attachment="{allowed}/empty.png"),
    "attachment-directory": action(
        "attachment_not_a_file", attachment="{allowed}/album.jpg"
    ),
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
    "attachment-base64-and-entity": action(
        "attachment_conflict",
        attachment_base64="iVBORw0KGgo=",
        attachment_type="image/png",
        attachment_entity="camera.front_door",
    ),
    "attachment-resize-maybe": action(
        "invalid_type_boolean",
        attachment="{allowed}/picture.png",
        attachment_resize="maybe",
    ),
    # Text no message can carry: lone surrogates, NUL and other controls.
    "message-lone-surrogate": action("text_not_unicode", message="Smoke \ud83d"),
    "message-nul": action("control_character", message="Door\x00open"),
    "message-escape-sequence": action("control_character", message="\x1b[2J"),
    "title-line-break": action("control_character", title="Door\n"),
    "url-header-injection": action(
        "control_character", url="https://example.com/\r\nX-Evil: 1"
    ),
    "sound-surrogate": action("text_not_unicode", sound="siren\udc00"),
    # Tags: one item and one path segment each, 200 characters in all.
    "tags-path-traversal": action("tag_invalid", tags="../../messages"),
    "tags-comma-in-item": action("tag_invalid", tags=["door,night"]),
    "tags-slash": action("tag_invalid", tags=["door/night"]),
    "tags-blank": action("tag_invalid", tags=["door", "  "]),
    "tags-nul": action("control_character", tags=["door\x00"]),
    "tag-201": action("tag_too_long", tags=["t" * 201]),
    "tags-201-joined": action("tags_too_long", tags=["a" * 100, "b" * 100]),
    # Timestamps: from the epoch to a day after now.
    "timestamp-minus-1": action("timestamp_out_of_range", timestamp=-1),
    "timestamp-1e11": action("timestamp_out_of_range", timestamp=10**11),
    "timestamp-1e300": action("timestamp_out_of_range", timestamp=1e300),
    "timestamp-milliseconds-text": action(
        "timestamp_out_of_range", timestamp="1700000000000"
    ),
    # An emergency whose first repeat would come after its expiry.
    "retry-over-expire": action(
        "retry_longer_than_expire", priority="emergency", retry=600, expire=300
    ),
    "retry-over-default-expire": action(
        "retry_longer_than_expire", priority=2, retry=3601
    ),
    # Links.
    "url-title-without-url": action("url_title_without_url", url_title="Open"),
    "url-no-scheme": action("url_invalid", url="example.com/camera"),
    "url-https-no-host": action("url_invalid", url="https:///camera"),
    "url-javascript": action(
        "url_scheme_refused", url="javascript:alert(document.cookie)"
    ),
    "url-javascript-after-space": action(
        "url_scheme_refused", url=" JAVASCRIPT:alert(1)"
    ),
    "url-data": action("url_scheme_refused", url="data:text/html;base64,PHNjcmlwdD4="),
    "url-vbscript": action("url_scheme_refused", url="vbscript:msgbox(1)"),
    # More devices than one message takes, and numbers too long to read.
    "devices-51": action(
        "too_many_devices", device=[f"phone{index}" for index in range(51)]
    ),
    "ttl-5000-digits": action("invalid_type_whole_number", ttl="9" * 5000),
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
    "legacy-title-in-data": legacy("unknown_data_key_near", data={"title": "Door"}),
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
    "legacy-attachment-text-named-jpg": legacy(
        "attachment_not_image", data={"attachment": "{allowed}/notes.jpg"}
    ),
    "legacy-message-nul": legacy("control_character", message="Door\x00"),
    "legacy-title-surrogate": legacy("text_not_unicode", title="Door \ud83d"),
    "legacy-tags-path-traversal": legacy(
        "tag_invalid", data={"tags": "../../messages"}
    ),
    "legacy-url-javascript": legacy(
        "url_scheme_refused", data={"url": "javascript:alert(1)"}
    ),
    "legacy-url-title-without-url": legacy(
        "url_title_without_url", data={"url_title": "Open"}
    ),
    "legacy-timestamp-negative": legacy(
        "timestamp_out_of_range", data={"timestamp": -1}
    ),
    "legacy-retry-over-expire": legacy(
        "retry_longer_than_expire", data={"priority": 2, "retry": 900, "expire": 600}
    ),
    "legacy-target-51-devices": legacy(
        "too_many_devices", target=[f"phone{index}" for index in range(51)]
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
    (allowed / "notes.jpg").write_text("not a picture either")
    (allowed / "empty.png").touch()
    (allowed / "album.jpg").mkdir()
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


CANCEL_CASES: Final[dict[str, tuple[str, dict[str, str], str]]] = {
    "tag-path-traversal": ("cancel_by_tag", {"tag": "../../messages"}, "tag_invalid"),
    "tag-slash": ("cancel_by_tag", {"tag": "door/night"}, "tag_invalid"),
    "tag-comma": ("cancel_by_tag", {"tag": "door,night"}, "tag_invalid"),
    "tag-blank": ("cancel_by_tag", {"tag": "   "}, "tag_invalid"),
    "tag-201": ("cancel_by_tag", {"tag": "t" * 201}, "tag_too_long"),
    "tag-nul": ("cancel_by_tag", {"tag": "leak\x00"}, "control_character"),
    "tag-surrogate": ("cancel_by_tag", {"tag": "leak\ud800"}, "text_not_unicode"),
    "receipt-path-traversal": (
        "cancel_receipt",
        {"receipt": "../../messages"},
        "receipt_invalid",
    ),
    "receipt-29": ("cancel_receipt", {"receipt": "r" * 29}, "receipt_invalid"),
    "receipt-31": ("cancel_receipt", {"receipt": "r" * 31}, "receipt_invalid"),
    "get-receipt-path-traversal": (
        "get_receipt",
        {"receipt": "../../messages"},
        "receipt_invalid",
    ),
    "receipt-slash": (
        "cancel_receipt",
        {"receipt": "a" * 14 + "/" + "b" * 15},
        "receipt_invalid",
    ),
}


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [pytest.param(*case, id=name) for name, case in CANCEL_CASES.items()],
)
async def test_bad_cancel_is_refused_before_any_request(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    service: str,
    data: dict[str, str],
    key: str,
) -> None:
    """A tag or receipt that could not be one path segment never reaches Pushover."""
    requests_before = len(simulator.requests)

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            # get_receipt answers only with a response.
            return_response=service == "get_receipt",
        )

    error = refused.value
    assert (error.translation_domain, error.translation_key) == (DOMAIN, key)
    assert set(error.translation_placeholders or {}) == placeholders_of(key)
    assert len(simulator.requests) == requests_before


# Only a hang guard: the refusal needs no time at all. A call that waited for
# the FIFO's writer would wait forever, so the test fails after this instead.
FIFO_HANG_GUARD_SECONDS = 30


def _release_waiting_readers(fifo: Path) -> None:
    """Open and close the FIFO's writing end, which frees any waiting reader."""
    # ENXIO: nobody has it open for reading, as it should be.
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_fifo_attachment_is_refused_at_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    places: dict[str, str],
) -> None:
    """A FIFO named .jpg in an allowed folder is refused without waiting.

    Nothing ever writes to it, so opening it to read in the usual way would
    wait forever and hold a worker thread; the call returns with the refusal.
    """
    fifo = Path(places["allowed"]) / "camera.jpg"
    os.mkfifo(fifo)
    requests_before = len(simulator.requests)

    try:
        async with asyncio.timeout(FIFO_HANG_GUARD_SECONDS):
            with pytest.raises(ServiceValidationError) as refused:
                await hass.services.async_call(
                    DOMAIN,
                    "send_message",
                    {"message": "Door open", "attachment": str(fifo)},
                    blocking=True,
                )
    finally:
        _release_waiting_readers(fifo)

    assert refused.value.translation_key == "attachment_not_a_file"
    assert refused.value.translation_placeholders == {"attachment": str(fifo)}
    assert len(simulator.requests) == requests_before
    assert simulator.messages == []
