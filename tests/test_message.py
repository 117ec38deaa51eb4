"""Tests for the mapping from service data to a Pushover message."""

import base64
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
import json
import logging
from pathlib import Path
import string
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import homeassistant.util.dt as dt_util
import probatio
import pytest

from custom_components.pushover_plus import message as message_module
from custom_components.pushover_plus.api import Message
from custom_components.pushover_plus.const import DEFAULT_EXPIRE, DEFAULT_RETRY, DOMAIN
from custom_components.pushover_plus.message import (
    MESSAGE_KEYS,
    AttachmentSource,
    FieldError,
    SendDefaults,
    _as_field_error,
    build_message,
    mebibytes,
    refusal,
)

EN_JSON = (
    Path(__file__).parent.parent
    / "custom_components"
    / "pushover_plus"
    / "translations"
    / "en.json"
)
EXCEPTIONS: dict[str, dict[str, str]] = json.loads(EN_JSON.read_text("utf-8"))[
    "exceptions"
]
PRIORITY_NAMES = "lowest, low, normal, high, emergency"
IMAGE_TYPE_NAMES = (
    "image/jpeg, image/png, image/gif, image/webp, image/bmp, image/heic, "
    "image/heif, image/avif"
)
# A real picture of 1 by 1 pixel.
PICTURE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
FIFTY_DEVICES = [f"device_{index}" for index in range(50)]
NOON_2024_UTC = 1704110400  # 2024-01-01T12:00:00Z
# What an entry without options fills in (data.send_defaults_of).
DEFAULTS = SendDefaults(
    sound=None, priority=None, retry=DEFAULT_RETRY, expire=DEFAULT_EXPIRE
)


def assert_error(
    err: ServiceValidationError, key: str, placeholders: dict[str, str]
) -> None:
    """Check a validation error's key and placeholders, and that en.json has it.

    The en.json text must use no placeholder the error does not give.
    """
    assert err.translation_domain == DOMAIN
    assert err.translation_key == key
    assert err.translation_placeholders == placeholders
    assert key in EXCEPTIONS, f"{key} has no entry in en.json"
    used = {
        name
        for _, name, _, _ in string.Formatter().parse(EXCEPTIONS[key]["message"])
        if name is not None
    }
    assert used <= placeholders.keys()


def build(defaults: SendDefaults | None = None, **data: Any) -> Message:
    """Build the message of a call that sends "Hello" with `data`."""
    return build_message({"message": "Hello", **data}, defaults or DEFAULTS).message


@pytest.fixture
def berlin_time() -> Iterator[None]:
    """Make Europe/Berlin (UTC+1 in January) the local time zone."""
    previous = dt_util.get_default_time_zone()
    dt_util.set_default_time_zone(ZoneInfo("Europe/Berlin"))
    yield
    dt_util.set_default_time_zone(previous)


def test_only_a_message_leaves_every_other_field_empty() -> None:
    """A bare message sets nothing else and names no attachment."""
    request = build_message({"message": "Hello"}, DEFAULTS)

    assert request.message == Message(message="Hello")
    assert request.attachment is None


def test_text_fields_are_kept() -> None:
    """Title, URL, URL title and callback URL pass through unchanged."""
    message = build(
        title="Door",
        url="https://example.com/door",
        url_title="Open camera",
        callback_url="https://example.com/ack",
    )

    assert message.title == "Door"
    assert message.url == "https://example.com/door"
    assert message.url_title == "Open camera"
    assert message.callback == "https://example.com/ack"


@pytest.mark.parametrize(
    ("data", "devices"),
    [
        ({"device": ["phone", "tablet"]}, ("phone", "tablet")),
        ({"device": "phone, tablet,"}, ("phone", "tablet")),
        ({"target": ["phone"]}, ("phone",)),
        ({"device": "phone", "target": ["tablet", "phone"]}, ("phone", "tablet")),
        ({"device": ""}, ()),
        ({"device": FIFTY_DEVICES}, tuple(FIFTY_DEVICES)),
        ({"device": FIFTY_DEVICES, "target": FIFTY_DEVICES[:5]}, tuple(FIFTY_DEVICES)),
    ],
)
def test_devices(data: dict[str, Any], devices: tuple[str, ...]) -> None:
    """Device names come from `device` and `target`, once each, in order.

    Fifty different names fit in one message; a name given twice counts once.
    """
    assert build(**data).devices == devices


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (1, True),
        ("true", True),
        ("ON", True),
        ("yes", True),
        (False, False),
        (0, False),
        ("off", False),
        ("0", False),
        ("No", False),
    ],
)
@pytest.mark.parametrize("key", ["html", "monospace"])
def test_format_flags(key: str, value: Any, expected: bool) -> None:
    """The flags html and monospace take booleans, 0/1 and on/off words."""
    assert getattr(build(**{key: value}), key) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-2, -2),
        (-1, -1),
        (0, 0),
        (1, 1),
        (2, 2),
        (1.0, 1),
        ("-2", -2),
        (" 1 ", 1),
        ("lowest", -2),
        ("LOW", -1),
        ("Normal", 0),
        ("high", 1),
        ("Emergency", 2),
    ],
)
def test_priority(value: object, expected: int) -> None:
    """Priority takes -2..2 as numbers or text, or a name in any case."""
    assert build(priority=value).priority == expected


def test_default_priority_fills_a_missing_priority() -> None:
    """The entry's default priority applies only when the call sets none."""
    defaults = DEFAULTS.replace(priority=1)

    assert build(defaults).priority == 1
    assert build(defaults, priority="low").priority == -1


def test_emergency_keeps_retry_and_expire() -> None:
    """An emergency message sends the call's retry and expire."""
    message = build(priority=2, retry="45", expire=600)

    assert (message.retry, message.expire) == (45, 600)


def test_emergency_takes_missing_retry_and_expire_from_defaults() -> None:
    """Options fill retry and expire that an emergency call leaves out."""
    defaults = DEFAULTS.replace(retry=90, expire=1200)

    message = build(defaults, priority="emergency", retry=30)

    assert (message.retry, message.expire) == (30, 1200)
    assert build(defaults, priority=2).retry == 90


def test_default_emergency_priority_gets_default_retry_and_expire() -> None:
    """An entry whose default priority is emergency sends its retry and expire."""
    message = build(DEFAULTS.replace(priority=2, retry=120, expire=900))

    assert (message.priority, message.retry, message.expire) == (2, 120, 900)


def test_retry_and_expire_are_dropped_below_emergency() -> None:
    """Pushover reads retry and expire only for priority 2."""
    message = build(priority=1, retry=60, expire=600)

    assert (message.retry, message.expire) == (None, None)


def test_retry_may_equal_expire() -> None:
    """A retry as long as the expiry is the longest that is accepted."""
    message = build(priority=2, retry=600, expire=600)

    assert (message.retry, message.expire) == (600, 600)


def test_retry_over_expire_below_emergency_is_not_an_error() -> None:
    """Below emergency, retry and expire are not sent, so they cannot clash."""
    message = build(priority="high", retry=900, expire=60)

    assert (message.retry, message.expire) == (None, None)


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        (["door", "night"], ("door", "night")),
        ("door, night", ("door", "night")),
        ([" door ", "water leak"], ("door", "water leak")),
        ("door,", ("door",)),
        (["door", ""], ("door",)),
        ("", ()),
        ([], ()),
        (["a" * 99, "b" * 100], ("a" * 99, "b" * 100)),
        (
            ["Wäsche", "100%", "x.json?y#z", ".."],
            ("Wäsche", "100%", "x.json?y#z", ".."),
        ),
    ],
)
def test_tags(value: object, tags: tuple[str, ...]) -> None:
    """Tags are a list or comma-joined text, without their outer spaces.

    An empty item (a trailing comma) is no tag; 200 characters joined fit.
    """
    assert build(tags=value).tags == tags


def test_message_keeps_tabs_and_line_breaks() -> None:
    """The message may hold tabs, line feeds and carriage returns."""
    text = "Line 1\r\nLine 2\tend\n\u200b\u202e"

    assert build_message({"message": text}, DEFAULTS).message.message == text


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/door",
        "HTTP://EXAMPLE.COM",
        "homeassistant://navigate/lovelace/0",
        "mailto:someone@example.com",
        "tel:+4930123456",
        "https://example.com/?q=a b",
    ],
)
def test_urls_that_open_a_page_or_an_app(url: str) -> None:
    """Any scheme but the refused ones is kept, for apps' own links too."""
    message = build(url=url, url_title="Open")

    assert (message.url, message.url_title) == (url, "Open")


@pytest.mark.usefixtures("freezer")
def test_timestamp_range() -> None:
    """From the Unix epoch to a day after now; the error names both ends."""
    latest = dt_util.utcnow().replace(microsecond=0) + timedelta(days=1)
    last_second = int(latest.timestamp())
    placeholders = {
        "earliest": "1970-01-01T00:00:00+00:00",
        "latest": latest.isoformat(),
    }

    assert build(timestamp=0).timestamp == 0
    assert build(timestamp=last_second).timestamp == last_second
    assert build(timestamp=latest).timestamp == last_second
    for value in (
        last_second + 1,
        -1,
        -0.5,
        "-1",
        10**11,
        1e300,
        str(10**11),
        datetime(1, 1, 1, tzinfo=UTC),
        date(9999, 12, 31),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            build(timestamp=value)
        assert_error(
            caught.value,
            "timestamp_out_of_range",
            {"value": str(value), **placeholders},
        )


@pytest.mark.parametrize(
    ("data", "sound"),
    [
        ({}, "siren"),
        ({"sound": ""}, "siren"),
        ({"sound": "tugboat"}, "tugboat"),
    ],
)
def test_sound_falls_back_to_default(data: dict[str, Any], sound: str) -> None:
    """The call's sound wins; the entry's default sound fills a missing one."""
    assert build(DEFAULTS.replace(sound="siren"), **data).sound == sound


@pytest.mark.usefixtures("berlin_time")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NOON_2024_UTC, NOON_2024_UTC),
        (NOON_2024_UTC + 0.9, NOON_2024_UTC),
        (str(NOON_2024_UTC), NOON_2024_UTC),
        (datetime(2024, 1, 1, 12, tzinfo=UTC), NOON_2024_UTC),
        (datetime(2024, 1, 1, 14, tzinfo=timezone(timedelta(hours=2))), NOON_2024_UTC),
        (datetime(2024, 1, 1, 13), NOON_2024_UTC),  # noqa: DTZ001 - local time
        (date(2024, 1, 1), NOON_2024_UTC - 13 * 3600),  # local midnight
        ("2024-01-01T12:00:00+00:00", NOON_2024_UTC),
        ("2024-01-01 13:00:00", NOON_2024_UTC),
    ],
)
def test_timestamp(value: object, expected: int) -> None:
    """Timestamps become Unix seconds; naive times and dates are local."""
    assert build(timestamp=value).timestamp == expected


@pytest.mark.parametrize(("value", "ttl"), [(3600, 3600), ("60", 60), (30.0, 30)])
def test_ttl(value: object, ttl: int) -> None:
    """The time to live is a whole number of seconds."""
    assert build(ttl=value).ttl == ttl


@pytest.mark.parametrize(
    ("key", "location"),
    [
        ("attachment", "/media/door.jpg"),
        ("attachment_url", "https://example.com/door.jpg"),
        ("attachment_entity", "camera.front_door"),
    ],
)
def test_attachment_source(key: str, location: str) -> None:
    """Each attachment key names its kind of source."""
    request = build_message({"message": "Hello", key: location}, DEFAULTS)

    assert request.attachment == AttachmentSource(kind=key, location=location)


@pytest.mark.parametrize(
    ("value", "resize"),
    [(None, True), (True, True), ("on", True), (False, False), ("off", False)],
)
def test_attachment_resize(value: object, *, resize: bool) -> None:
    """A picture may be made smaller unless attachment_resize is false."""
    request = build_message(
        {"message": "Hi", "attachment": "/a.png", "attachment_resize": value},
        DEFAULTS,
    )

    assert request.attachment == AttachmentSource(
        kind="attachment", location="/a.png", resize=resize
    )


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(PICTURE).decode(),
        # Wrapped as MIME wraps it, with spaces a template may leave.
        " " + base64.encodebytes(PICTURE).decode().replace("\n", "\r\n") + " ",
    ],
    ids=["one_line", "wrapped"],
)
def test_attachment_base64_is_decoded(text: str) -> None:
    """The base64 text becomes the picture's bytes, named by its field."""
    request = build_message(
        {"message": "Hi", "attachment_base64": text, "attachment_type": "IMAGE/PNG"},
        DEFAULTS,
    )

    assert request.attachment == AttachmentSource(
        kind="attachment_base64", location="attachment_base64", content=PICTURE
    )
    assert request.attachment.content == PICTURE


def test_a_base64_picture_is_shown_without_its_bytes() -> None:
    """A request in a log line or a traceback does not dump the picture."""
    source = AttachmentSource(
        kind="attachment_base64", location="attachment_base64", content=PICTURE
    )

    assert repr(source) == (
        "AttachmentSource(kind='attachment_base64', "
        "location='attachment_base64', resize=True)"
    )


def test_attachment_base64_too_large_is_refused_undecoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Base64 of more than may be resized is refused from its length alone."""
    monkeypatch.setattr(message_module, "MAX_PICTURE_SOURCE_BYTES", 1000)

    with (
        patch("base64.b64decode") as decode,
        pytest.raises(ServiceValidationError) as caught,
    ):
        build_message(
            {
                "message": "Hi",
                "attachment_base64": "A" * 1336 + "==",
                "attachment_type": "image/png",
            },
            DEFAULTS,
        )

    decode.assert_not_called()
    assert_error(
        caught.value,
        "attachment_source_too_large",
        {
            "attachment": "attachment_base64",
            "size": "0.1",
            "source_limit": "0.1",
            "limit": "5",
        },
    )


@pytest.mark.parametrize(
    ("size", "written"),
    [(5_242_880, "5"), (5_242_881, "5.1"), (14_081_944, "13.5"), (52_428_800, "50")],
)
def test_sizes_are_written_in_mebibytes(size: int, written: str) -> None:
    """Rounded up to a tenth: just over a limit never reads as the limit."""
    assert mebibytes(size) == written


def test_long_message_is_cut_with_ellipsis(caplog: pytest.LogCaptureFixture) -> None:
    """Text over 1024 characters is cut to 1024, ending in an ellipsis."""
    text = "".join(str(index % 10) for index in range(1500))

    message = build_message({"message": text}, DEFAULTS).message

    assert message.message == text[:1023] + "…"
    assert len(message.message) == 1024
    assert any(
        record.levelno == logging.WARNING and "1500" in record.getMessage()
        for record in caplog.records
    )


# Real sequences that show as one character, from two to ten code points.
CLUSTERS = {
    "family (ZWJ sequence)": (
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    ),
    "thumbs up, medium skin tone": "\U0001f44d\U0001f3fd",
    "woman firefighter, dark skin tone": "\U0001f469\U0001f3ff\u200d\U0001f692",
    "rainbow flag": "\U0001f3f3\ufe0f\u200d\U0001f308",
    "flag of Germany": "\U0001f1e9\U0001f1ea",
    "flag of Scotland (tag sequence)": "\U0001f3f4\U000e0067\U000e0062\U000e0073"
    "\U000e0063\U000e0074\U000e007f",
    "keycap one": "1\ufe0f\u20e3",
    "red heart (variation selector)": "\u2764\ufe0f",
    "e with two accents": "e\u0301\u0302",
    "Hangul syllable in jamo": "\u1112\u1161\u11ab",
    "Hangul syllable with a trailing jamo": "\uac00\u11a8",
    "Hangul syllable with a second trailing jamo": "\uac01\u11a8",
    "Devanagari conjunct": "\u0915\u094d\u0937",
    "Arabic number sign and digits": "\u0600\u0661",
    "CR LF": "\r\n",
}


@pytest.mark.parametrize("cluster", CLUSTERS.values(), ids=CLUSTERS.keys())
def test_cut_never_splits_a_cluster(cluster: str) -> None:
    """Wherever the 1,023rd character falls in a cluster, the cluster goes whole.

    The cluster is placed so that each of its code points in turn is the last
    one before the ellipsis; the cut then falls just before the cluster.
    """
    for inside in range(1, len(cluster)):
        before = "x" * (1023 - inside)
        text = before + cluster + "y" * 10

        cut = build_message({"message": text}, DEFAULTS).message.message

        assert cut == before + "…"


@pytest.mark.parametrize("cluster", CLUSTERS.values(), ids=CLUSTERS.keys())
def test_cut_keeps_a_cluster_that_fits(cluster: str) -> None:
    """A cluster that ends at the 1,023rd character is kept."""
    before = "x" * (1023 - len(cluster))

    cut = build_message({"message": before + cluster + "yy"}, DEFAULTS)

    assert cut.message.message == before + cluster + "…"


def test_cut_pairs_flags_from_the_start_of_their_run() -> None:
    """Regional indicators pair up in order: DE FR, never E F."""
    flags = "\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7"  # Germany, France
    before = "x" * 1020

    cut = build_message({"message": before + flags + "y"}, DEFAULTS).message

    assert cut.message == before + flags[:2] + "…"


def test_cut_of_one_endless_cluster_keeps_the_limit() -> None:
    """A cluster longer than the limit (a letter under 2,000 marks) is cut."""
    text = "a" + "\u0301" * 2000

    cut = build_message({"message": text}, DEFAULTS).message.message

    assert cut == text[:1023] + "…"


def test_message_of_1024_characters_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    """Text at the limit is sent whole, without a warning."""
    text = "x" * 1024

    assert build_message({"message": text}, DEFAULTS).message.message == text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def _case(
    data: dict[Any, Any], key: str, placeholders: dict[str, str] | None = None
) -> Any:
    return pytest.param(data, key, placeholders or {})


def _type(field: str) -> dict[str, str]:
    return {"field": field}


def _at(field: str, position: int, code: str) -> dict[str, str]:
    return {"field": field, "position": str(position), "code": code}


def _tag(tag: str, field: str) -> dict[str, str]:
    return {"tag": tag, "field": field}


def _scheme(scheme: str) -> dict[str, str]:
    return {"scheme": scheme, "refused": "javascript:, data:, vbscript:"}


INVALID_CASES = {
    "empty message": _case({"message": ""}, "message_empty"),
    "blank message": _case({"message": " \n\t"}, "message_empty"),
    "message not text": _case({"message": 5}, "invalid_type_text", _type("message")),
    "message None": _case({"message": None}, "invalid_type_text", _type("message")),
    "title 251": _case(
        {"title": "t" * 251}, "title_too_long", {"limit": "250", "length": "251"}
    ),
    "url 513": _case(
        {"url": "u" * 513}, "url_too_long", {"limit": "512", "length": "513"}
    ),
    "url_title 101": _case(
        {"url_title": "u" * 101},
        "url_title_too_long",
        {"limit": "100", "length": "101"},
    ),
    "device 26 chars": _case(
        {"device": "d" * 26},
        "device_name_invalid",
        {"device": "d" * 26, "limit": "25"},
    ),
    "device with space": _case(
        {"device": ["my phone"]},
        "device_name_invalid",
        {"device": "my phone", "limit": "25"},
    ),
    "device with slash": _case(
        {"device": "a/b"}, "device_name_invalid", {"device": "a/b", "limit": "25"}
    ),
    "device not ascii": _case(
        {"device": "téléphone"},
        "device_name_invalid",
        {"device": "téléphone", "limit": "25"},
    ),
    "bad target": _case(
        {"target": ["phone", "bad name"]},
        "device_name_invalid",
        {"device": "bad name", "limit": "25"},
    ),
    "device not names": _case({"device": 5}, "invalid_type_names", _type("device")),
    "html and monospace": _case(
        {"html": True, "monospace": "on"}, "html_with_monospace"
    ),
    "ttl 0": _case({"ttl": 0}, "ttl_not_positive", {"value": "0"}),
    "ttl -5": _case({"ttl": -5}, "ttl_not_positive", {"value": "-5"}),
    "ttl text": _case({"ttl": "abc"}, "invalid_type_whole_number", _type("ttl")),
    "ttl fraction": _case({"ttl": 1.5}, "invalid_type_whole_number", _type("ttl")),
    "ttl double minus": _case(
        {"ttl": "--5"}, "invalid_type_whole_number", _type("ttl")
    ),
    "ttl superscript": _case({"ttl": "²"}, "invalid_type_whole_number", _type("ttl")),
    "priority 3": _case(
        {"priority": 3}, "priority_invalid", {"value": "3", "names": PRIORITY_NAMES}
    ),
    "priority -3": _case(
        {"priority": -3}, "priority_invalid", {"value": "-3", "names": PRIORITY_NAMES}
    ),
    "priority urgent": _case(
        {"priority": "urgent"},
        "priority_invalid",
        {"value": "urgent", "names": PRIORITY_NAMES},
    ),
    "priority True": _case(
        {"priority": True},
        "priority_invalid",
        {"value": "True", "names": PRIORITY_NAMES},
    ),
    "priority 1.5": _case(
        {"priority": 1.5},
        "priority_invalid",
        {"value": "1.5", "names": PRIORITY_NAMES},
    ),
    "priority --1": _case(
        {"priority": "--1"},
        "priority_invalid",
        {"value": "--1", "names": PRIORITY_NAMES},
    ),
    "retry 29": _case(
        {"priority": 2, "retry": 29}, "retry_too_short", {"value": "29", "limit": "30"}
    ),
    "retry 29 below emergency": _case(
        {"retry": 29}, "retry_too_short", {"value": "29", "limit": "30"}
    ),
    "retry text": _case({"retry": "abc"}, "invalid_type_whole_number", _type("retry")),
    "expire 10801": _case(
        {"priority": 2, "expire": 10801},
        "expire_out_of_range",
        {"value": "10801", "limit": "10800"},
    ),
    "expire 0": _case(
        {"expire": 0}, "expire_out_of_range", {"value": "0", "limit": "10800"}
    ),
    "callback ftp": _case(
        {"callback_url": "ftp://x"}, "callback_url_invalid", {"url": "ftp://x"}
    ),
    "callback not a url": _case(
        {"callback_url": "not a url"}, "callback_url_invalid", {"url": "not a url"}
    ),
    "callback unparsable": _case(
        {"callback_url": "http://[bad"},
        "callback_url_invalid",
        {"url": "http://[bad"},
    ),
    "callback not text": _case(
        {"callback_url": 5}, "invalid_type_url", _type("callback_url")
    ),
    "timestamp word": _case(
        {"timestamp": "yesterday"}, "timestamp_invalid", {"value": "yesterday"}
    ),
    "timestamp list": _case({"timestamp": [1]}, "timestamp_invalid", {"value": "[1]"}),
    "timestamp True": _case(
        {"timestamp": True}, "timestamp_invalid", {"value": "True"}
    ),
    "timestamp month 13": _case(
        {"timestamp": "2024-13-45 10:00"},
        "timestamp_invalid",
        {"value": "2024-13-45 10:00"},
    ),
    "timestamp nan": _case(
        {"timestamp": float("nan")}, "timestamp_invalid", {"value": "nan"}
    ),
    "timestamp superscript": _case(
        {"timestamp": "²"}, "timestamp_invalid", {"value": "²"}
    ),
    "tags number": _case({"tags": 5}, "invalid_type_names", _type("tags")),
    "tags of numbers": _case({"tags": [1, 2]}, "invalid_type_names", _type("tags")),
    "unknown key": _case(
        {"colour": "red"},
        "unknown_data_key",
        {"field": "colour", "allowed": ", ".join(sorted(MESSAGE_KEYS))},
    ),
    "unknown key not text": _case(
        {1: "x"},
        "unknown_data_key",
        {"field": "1", "allowed": ", ".join(sorted(MESSAGE_KEYS))},
    ),
    "misspelt key": _case(
        {"attachement": "/config/www/door.jpg"},
        "unknown_data_key_near",
        {
            "field": "attachement",
            "near": "attachment",
            "allowed": ", ".join(sorted(MESSAGE_KEYS)),
        },
    ),
    "title number": _case({"title": 5}, "invalid_type_text", _type("title")),
    "url list": _case({"url": ["a"]}, "invalid_type_text", _type("url")),
    "sound number": _case({"sound": 3}, "invalid_type_text", _type("sound")),
    "html maybe": _case({"html": "maybe"}, "invalid_type_boolean", _type("html")),
    "monospace 2": _case({"monospace": 2}, "invalid_type_boolean", _type("monospace")),
    "file and url": _case(
        {"attachment": "/a.png", "attachment_url": "https://x/a.png"},
        "attachment_conflict",
        {"keys": "attachment, attachment_url"},
    ),
    "three sources": _case(
        {
            "attachment": "/a.png",
            "attachment_url": "https://x/a.png",
            "attachment_entity": "camera.x",
        },
        "attachment_conflict",
        {"keys": "attachment, attachment_url, attachment_entity"},
    ),
    "attachment number": _case(
        {"attachment": 5}, "invalid_type_text", _type("attachment")
    ),
    "base64 not base64": _case(
        {"attachment_base64": "not base64!", "attachment_type": "image/png"},
        "attachment_base64_invalid",
    ),
    "base64 without padding": _case(
        {"attachment_base64": "iVBORw0KGgo", "attachment_type": "image/png"},
        "attachment_base64_invalid",
    ),
    "base64 not ascii": _case(
        {"attachment_base64": "iVBORw0KGgo=é", "attachment_type": "image/png"},
        "attachment_base64_invalid",
    ),
    "base64 number": _case(
        {"attachment_base64": 5, "attachment_type": "image/png"},
        "invalid_type_text",
        _type("attachment_base64"),
    ),
    "base64 without type": _case(
        {"attachment_base64": "iVBORw0KGgo="},
        "attachment_type_missing",
        {"types": IMAGE_TYPE_NAMES},
    ),
    "type without base64": _case(
        {"attachment": "/a.png", "attachment_type": "image/png"},
        "attachment_type_without_base64",
    ),
    "type of a document": _case(
        {"attachment_base64": "iVBORw0KGgo=", "attachment_type": "application/pdf"},
        "attachment_type_invalid",
        {"value": "application/pdf", "types": IMAGE_TYPE_NAMES},
    ),
    "type svg": _case(
        {"attachment_base64": "iVBORw0KGgo=", "attachment_type": "image/svg+xml"},
        "attachment_type_invalid",
        {"value": "image/svg+xml", "types": IMAGE_TYPE_NAMES},
    ),
    "base64 and url": _case(
        {
            "attachment_url": "https://x/a.png",
            "attachment_base64": "iVBORw0KGgo=",
            "attachment_type": "image/png",
        },
        "attachment_conflict",
        {"keys": "attachment_url, attachment_base64"},
    ),
    "resize maybe": _case(
        {"attachment": "/a.png", "attachment_resize": "maybe"},
        "invalid_type_boolean",
        _type("attachment_resize"),
    ),
    "attachment entity list": _case(
        {"attachment_entity": ["camera.x"]},
        "invalid_type_text",
        _type("attachment_entity"),
    ),
    # Text that cannot be sent: lone surrogates and control characters.
    "message lone surrogate": _case(
        {"message": "Smoke \ud83d!"}, "text_not_unicode", _at("message", 7, "D83D")
    ),
    "title lone low surrogate": _case(
        {"title": "\udc00"}, "text_not_unicode", _at("title", 1, "DC00")
    ),
    "url_title surrogate": _case(
        {"url": "https://x.example", "url_title": "Open \udfff"},
        "text_not_unicode",
        _at("url_title", 6, "DFFF"),
    ),
    "sound surrogate": _case(
        {"sound": "bug\ud800le"}, "text_not_unicode", _at("sound", 4, "D800")
    ),
    "tag surrogate in list": _case(
        {"tags": ["door", "le\ud800ak"]}, "text_not_unicode", _at("tags", 8, "D800")
    ),
    "attachment path surrogate": _case(
        {"attachment": "/media/\ud800.png"},
        "text_not_unicode",
        _at("attachment", 8, "D800"),
    ),
    "timestamp surrogate": _case(
        {"timestamp": "2024\ud800"}, "text_not_unicode", _at("timestamp", 5, "D800")
    ),
    "message NUL": _case(
        {"message": "Door\x00open"}, "control_character", _at("message", 5, "0000")
    ),
    "message escape": _case(
        {"message": "\x1b[31mred"}, "control_character", _at("message", 1, "001B")
    ),
    "message DEL": _case(
        {"message": "a\x7f"}, "control_character", _at("message", 2, "007F")
    ),
    "message next line (C1)": _case(
        {"message": "a\x85b"}, "control_character", _at("message", 2, "0085")
    ),
    "message vertical tab": _case(
        {"message": "a\vb"}, "control_character", _at("message", 2, "000B")
    ),
    "title newline": _case(
        {"title": "Door\n"}, "control_character", _at("title", 5, "000A")
    ),
    "title tab": _case(
        {"title": "Door\topen"}, "control_character", _at("title", 5, "0009")
    ),
    "url newline": _case(
        {"url": "https://x.example/\r\nSet-Cookie: a"},
        "control_character",
        _at("url", 19, "000D"),
    ),
    "url_title NUL": _case(
        {"url": "https://x.example", "url_title": "\x00"},
        "control_character",
        _at("url_title", 1, "0000"),
    ),
    "callback NUL": _case(
        {"callback_url": "https://x.example/\x00"},
        "control_character",
        _at("callback_url", 19, "0000"),
    ),
    "device NUL": _case(
        {"device": ["phone", "tab\x00"]}, "control_character", _at("device", 10, "0000")
    ),
    "attachment path NUL": _case(
        {"attachment": "/media/door\x00.png"},
        "control_character",
        _at("attachment", 12, "0000"),
    ),
    "unknown key quoted as escapes": _case(
        {"col\ud800our\x00": "red"},
        "unknown_data_key",
        {
            "field": "col\\ud800our\\u0000",
            "allowed": ", ".join(sorted(MESSAGE_KEYS)),
        },
    ),
    # Tags: one item each, one path segment each, 200 characters in all.
    "tag with comma": _case(
        {"tags": ["door,night"]}, "tag_invalid", _tag("door,night", "tags")
    ),
    "tag with slash": _case({"tags": ["a/b"]}, "tag_invalid", _tag("a/b", "tags")),
    "tag path traversal": _case(
        {"tags": "../../messages"}, "tag_invalid", _tag("../../messages", "tags")
    ),
    "tag of spaces": _case({"tags": ["door", "  "]}, "tag_invalid", _tag("  ", "tags")),
    "blank tag in text": _case(
        {"tags": "door, ,night"}, "tag_invalid", _tag(" ", "tags")
    ),
    "tag control character": _case(
        {"tags": ["do\x07or"]}, "control_character", _at("tags", 3, "0007")
    ),
    "tag of 201": _case(
        {"tags": ["t" * 201]},
        "tag_too_long",
        {"field": "tags", "length": "201", "limit": "200"},
    ),
    "tags of 201 joined": _case(
        {"tags": ["a" * 100, "b" * 100]},
        "tags_too_long",
        {"length": "201", "limit": "200"},
    ),
    # Devices: at most 50 in one message.
    "51 devices": _case(
        {"device": [f"d{index}" for index in range(51)]},
        "too_many_devices",
        {"count": "51", "limit": "50"},
    ),
    "51 devices from device and target": _case(
        {
            "device": [f"d{index}" for index in range(26)],
            "target": [f"t{index}" for index in range(25)],
        },
        "too_many_devices",
        {"count": "51", "limit": "50"},
    ),
    # Emergencies: a retry after the expiry would never come.
    "retry over expire": _case(
        {"priority": 2, "retry": 601, "expire": 600},
        "retry_longer_than_expire",
        {"retry": "601", "expire": "600"},
    ),
    "retry over default expire": _case(
        {"priority": "emergency", "retry": 3601},
        "retry_longer_than_expire",
        {"retry": "3601", "expire": "3600"},
    ),
    "default retry over expire": _case(
        {"priority": "emergency", "expire": 59},
        "retry_longer_than_expire",
        {"retry": "60", "expire": "59"},
    ),
    # Whole numbers Python could not even read.
    "ttl of 5000 digits": _case(
        {"ttl": "9" * 5000}, "invalid_type_whole_number", _type("ttl")
    ),
    "retry of 19 digits": _case(
        {"retry": "1" * 19}, "invalid_type_whole_number", _type("retry")
    ),
    # Links: a url for a url_title, a scheme, no script.
    "url_title without url": _case({"url_title": "Open"}, "url_title_without_url"),
    "url without scheme": _case(
        {"url": "example.com/door"}, "url_invalid", {"url": "example.com/door"}
    ),
    "url with only a scheme": _case(
        {"url": "homeassistant:"}, "url_invalid", {"url": "homeassistant:"}
    ),
    "url of digits before a colon": _case(
        {"url": "192.168.1.5:8123/"}, "url_invalid", {"url": "192.168.1.5:8123/"}
    ),
    "https without host": _case(
        {"url": "https://"}, "url_invalid", {"url": "https://"}
    ),
    "http without slashes": _case(
        {"url": "http:door"}, "url_invalid", {"url": "http:door"}
    ),
    "http unparsable": _case(
        {"url": "http://[bad"}, "url_invalid", {"url": "http://[bad"}
    ),
    "javascript url": _case(
        {"url": "javascript:alert(1)"}, "url_scheme_refused", _scheme("javascript")
    ),
    "javascript url in capitals after spaces": _case(
        {"url": "  JavaScript:alert(1)"}, "url_scheme_refused", _scheme("javascript")
    ),
    "data url": _case(
        {"url": "data:text/html,<script>alert(1)</script>"},
        "url_scheme_refused",
        _scheme("data"),
    ),
    "vbscript url": _case(
        {"url": "vbscript:msgbox(1)"}, "url_scheme_refused", _scheme("vbscript")
    ),
    # Timestamps that parse but are no time.
    "timestamp year 1 east of UTC": _case(
        {"timestamp": "0001-01-01T00:00:00+05:00"},
        "timestamp_invalid",
        {"value": "0001-01-01T00:00:00+05:00"},
    ),
    "timestamp infinite": _case(
        {"timestamp": float("inf")}, "timestamp_invalid", {"value": "inf"}
    ),
}


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    INVALID_CASES.values(),
    ids=INVALID_CASES.keys(),
)
def test_invalid_data(
    data: dict[Any, Any], key: str, placeholders: dict[str, str]
) -> None:
    """Each invalid field raises its translated error with its placeholders."""
    with pytest.raises(ServiceValidationError) as caught:
        build_message({"message": "Hello", **data}, DEFAULTS)

    assert_error(caught.value, key, placeholders)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (
            {"title": "t" * 251},
            (
                "The title is too long: its length is 251, and Pushover allows at "
                "most 250 characters"
            ),
        ),
        (
            {"url": "u" * 513},
            (
                "The url is too long: its length is 513, and Pushover allows at most "
                "512 characters"
            ),
        ),
        (
            {"url_title": "u" * 101},
            (
                "The url_title is too long: its length is 101, and Pushover allows at "
                "most 100 characters"
            ),
        ),
        (
            {"title": "Door\x00"},
            (
                "The title contains the control character U+0000 at character 5. "
                "Only the message may contain tabs and line breaks; no field may "
                "contain other control characters"
            ),
        ),
        (
            {"tags": ["a/b"]},
            (
                'The tag "a/b" in tags is not valid: a tag may not be blank or '
                "contain a comma or a slash"
            ),
        ),
        (
            {"url": "javascript:alert(1)"},
            (
                'The url scheme "javascript:" is refused: links starting with '
                "javascript:, data:, vbscript: run code or carry content instead "
                "of opening a page or an app"
            ),
        ),
    ],
)
async def test_error_is_rendered_from_translation(
    hass: HomeAssistant, data: dict[str, str], text: str
) -> None:
    """Home Assistant shows the English text with the limit filled in."""
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(ServiceValidationError) as caught:
        build_message({"message": "Hello", **data}, DEFAULTS)

    assert str(caught.value) == text


async def test_every_mistake_is_reported_at_once(hass: HomeAssistant) -> None:
    """Several mistakes come back together, each naming its field and limit."""
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(ServiceValidationError) as caught:
        build_message(
            {
                "message": "Hello",
                "colour": "red",
                "title": "Door\x00",
                "priority": "emergency",
                "retry": 10,
                "url_title": "Camera",
            },
            DEFAULTS,
        )

    error = caught.value
    assert error.translation_key == "fields_invalid"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["count"] == "4"
    # One mistake a line, each whole: the title's own text has a semicolon.
    assert str(error).split("\n") == [
        "Invalid fields (4):",
        "• Unknown field colour. Allowed: " + ", ".join(sorted(MESSAGE_KEYS)) + ".",
        (
            "• The title contains the control character U+0000 at character 5. "
            "Only the message may contain tabs and line breaks; no field may "
            "contain other control characters."
        ),
        "• The retry (10 s) is too short: at least 30 s.",
        "• The url_title is the text of a link, but no url is given.",
    ]


async def test_mistakes_between_fields_wait_for_the_fields(hass: HomeAssistant) -> None:
    """A rule between two fields is checked only when both are readable."""
    with pytest.raises(ServiceValidationError) as caught:
        build_message(
            {"message": "Hello", "priority": 2, "retry": "often", "expire": 60},
            DEFAULTS,
        )

    assert caught.value.translation_key == "invalid_type_whole_number"


def test_a_field_left_empty_is_as_if_left_out() -> None:
    """YAML's `key:` with nothing after it gives None: the field is not sent."""
    empty = dict.fromkeys(MESSAGE_KEYS - {"message"})

    assert build(**empty) == build()


def test_a_list_of_mistakes_outside_home_assistant_names_their_keys() -> None:
    """Without a running Home Assistant, nothing is translated: keys are shown."""
    with patch(
        "custom_components.pushover_plus.message.async_get_hass",
        side_effect=HomeAssistantError,
    ):
        error = refusal(
            [FieldError("html_with_monospace"), FieldError("url_title_without_url")]
        )

    assert error.translation_placeholders == {
        "count": "2",
        "errors": "• html_with_monospace\n• url_title_without_url",
    }


async def test_a_list_of_mistakes_falls_back_to_english(hass: HomeAssistant) -> None:
    """A language without our translations shows English; an unknown key itself."""
    assert await async_setup_component(hass, DOMAIN, {})
    hass.config.language = "tlh"

    error = refusal(
        [FieldError("html_with_monospace"), FieldError("not_a_translation_key")]
    )

    assert error.translation_placeholders is not None
    assert error.translation_placeholders["errors"] == (
        "• "
        + EXCEPTIONS["html_with_monospace"]["message"]
        + "\n• not_a_translation_key"
    )


def test_a_schema_error_of_probatio_names_its_field() -> None:
    """Should a validator raise probatio's own error, the field is still named."""
    error = _as_field_error(probatio.Invalid("expected str", path=["sound"]))

    # Its message is probatio's English: the field alone is said, translated.
    assert error.key == "invalid_value"
    assert error.values == {"field": "sound"}
