"""End-to-end encryption: the field encryption, and the send path over HTTP.

The field encryption is held to the vectors that `gzip` and `openssl` made
(tests/simulator/fixtures/e2ee/), byte for byte, and what it makes is
decrypted by the simulator's own code, as a recipient's device would.
"""

import base64
import json
from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    EVENT_DELIVERED,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.encryption import (
    EncryptionError,
    encrypt_field,
    is_valid_key,
    normalise_key,
)
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_ENCRYPTION_KEY,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    DecryptionError,
    PushoverSimulator,
    decrypt_field,
)

from . import advance, send
from .conftest import PRIMARY_DATA

FIXTURES = Path(__file__).parent / "simulator" / "fixtures" / "e2ee"
# The longest a field's plaintext may be, in UTF-8 bytes (4 per character).
MAX_BYTES = 4 * 1024
FOREVER = 1_000_000
FOUR_BYTE_TEXT = "Door 🚪 opened 🔔 at 𝄞 😀"
# 1,024 characters of 4 bytes each: the longest message there is.
MAXIMAL_MESSAGE = "".join(chr(0x1F300 + offset) for offset in range(1024))


def _vector(name: str) -> str:
    return (FIXTURES / "vectors" / f"{name}.b64").read_text(encoding="ascii").strip()


def _plain(name: str) -> str:
    return (FIXTURES / "plain" / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "message",
        "title",
        "url",
        "url_title",
        "four-byte",
        "empty",
        "max-message",
        "max-title",
        "max-url",
        "max-url_title",
    ],
)
def test_encryption_is_the_openssl_vector_byte_for_byte(name: str) -> None:
    """With the vector's IV, a field encrypts to exactly what openssl made."""
    vector = _vector(name)
    iv = base64.b64decode(vector)[:16]

    with patch(
        "custom_components.pushover_plus.encryption.os.urandom", return_value=iv
    ):
        encrypted = encrypt_field(_plain(name), TEST_ENCRYPTION_KEY)

    assert encrypted == vector


@pytest.mark.parametrize(
    "text",
    ["Front door opened", FOUR_BYTE_TEXT, "", MAXIMAL_MESSAGE],
    ids=["text", "four-byte", "empty", "maximal"],
)
def test_the_simulator_decrypts_what_is_encrypted(text: str) -> None:
    """The simulator's own decryption gives the text back, 4-byte characters too."""
    encrypted = encrypt_field(text, TEST_ENCRYPTION_KEY)

    assert decrypt_field(encrypted, TEST_ENCRYPTION_KEY, MAX_BYTES) == text


def test_each_field_gets_a_fresh_iv() -> None:
    """The same text encrypts differently every time: no two IVs are the same."""
    first = encrypt_field("Front door opened", TEST_ENCRYPTION_KEY)
    second = encrypt_field("Front door opened", TEST_ENCRYPTION_KEY)

    assert base64.b64decode(first)[:16] != base64.b64decode(second)[:16]
    assert first != second


def test_tampered_data_fails_the_hmac() -> None:
    """A flipped bit of the ciphertext is caught by the HMAC before decryption."""
    raw = bytearray(base64.b64decode(encrypt_field("Open", TEST_ENCRYPTION_KEY)))
    raw[20] ^= 1

    with pytest.raises(DecryptionError, match="HMAC does not match"):
        decrypt_field(base64.b64encode(raw).decode(), TEST_ENCRYPTION_KEY, MAX_BYTES)


def test_another_key_cannot_decrypt() -> None:
    """Text for one account is not readable with another account's key."""
    encrypted = encrypt_field("Front door opened", TEST_ENCRYPTION_KEY)

    with pytest.raises(DecryptionError, match="HMAC does not match"):
        decrypt_field(encrypted, TEST_SECOND_ENCRYPTION_KEY, MAX_BYTES)


@pytest.mark.parametrize(
    ("key", "error"),
    [("zz" * 32, "not hexadecimal"), ("ab" * 31, "31 bytes, not 32")],
)
def test_a_key_that_is_not_32_bytes_cannot_encrypt(key: str, error: str) -> None:
    """A damaged stored key is refused, and the error never quotes the key."""
    with pytest.raises(EncryptionError, match=error) as raised:
        encrypt_field("Front door opened", key)

    assert key not in str(raised.value)


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        (f"  {TEST_ENCRYPTION_KEY.upper()} ", True),
        (TEST_ENCRYPTION_KEY[:-1], False),
        (TEST_ENCRYPTION_KEY[:-1] + "g", False),
        (TEST_ENCRYPTION_KEY + "0", False),
    ],
)
def test_a_key_is_64_hex_characters_in_either_case(typed: str, valid: bool) -> None:
    """Outer spaces go, upper case is lower case; anything else is no key."""
    assert is_valid_key(normalise_key(typed)) is valid


def _entry(
    *,
    primary_key: str | None = None,
    recipients: dict[str, tuple[str, str | None]] | None = None,
    title: str = "Pushover",
) -> MockConfigEntry:
    """Return the test application's entry with keys and further recipients.

    `recipients` maps a name to its user key and encryption key.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        options={CONF_ENCRYPTION_KEY: primary_key} if primary_key else {},
        subentries_data=[
            ConfigSubentryDataWithId(
                subentry_id=f"recipient{number}",
                subentry_type=SUBENTRY_RECIPIENT,
                title=name,
                data={
                    CONF_USER_KEY: user_key,
                    CONF_DEVICES: [],
                    CONF_SERVICE_NAME: name.lower(),
                    **({CONF_ENCRYPTION_KEY: key} if key else {}),
                },
                unique_id=None,
            )
            for number, (name, (user_key, key)) in enumerate((recipients or {}).items())
        ],
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def encrypting_entry(hass: HomeAssistant, api_base_url: str) -> MockConfigEntry:
    """Load the entry whose primary recipient has the test user's key."""
    return await _load(hass, _entry(primary_key=TEST_ENCRYPTION_KEY))


async def test_every_text_field_is_encrypted_for_the_account(
    hass: HomeAssistant,
    encrypting_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The four texts arrive encrypted and decrypt on the device; the rest is plain."""
    await send(
        hass,
        message=FOUR_BYTE_TEXT,
        title="Front door",
        url="https://example.com/camera",
        url_title="Open the camera",
        sound="siren",
        priority="high",
        tags=["door"],
    )

    [received] = simulator.messages
    assert received.encrypted
    assert FOUR_BYTE_TEXT not in received.message
    assert received.title != "Front door"
    decryption = received.decryptions[TEST_USER_KEY]
    assert decryption.problems == {}
    assert decryption.plaintext == {
        "message": FOUR_BYTE_TEXT,
        "title": "Front door",
        "url": "https://example.com/camera",
        "url_title": "Open the camera",
    }
    # Pushover reads these to deliver the message: they stay as they are.
    assert (received.sound, received.priority, received.tags) == ("siren", 1, ["door"])


async def test_a_message_without_title_gets_the_application_name_encrypted(
    hass: HomeAssistant,
    encrypting_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Pushover must not fill in a plaintext title the device cannot decrypt."""
    await send(hass, message="Front door opened")

    [received] = simulator.messages
    assert received.title is not None
    assert received.decryptions[TEST_USER_KEY].plaintext == {
        "message": "Front door opened",
        "title": "Pushover",
    }
    assert received.decryptions[TEST_USER_KEY].problems == {}


async def test_a_long_application_name_is_cut_to_the_title_limit(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """An entry renamed beyond 250 characters still makes a title Pushover takes."""
    await _load(hass, _entry(primary_key=TEST_ENCRYPTION_KEY, title="A" * 300))

    await send(hass, message="Front door opened")

    title = simulator.messages[0].decryptions[TEST_USER_KEY].plaintext["title"]
    assert title == "A" * 249 + "…"


async def test_limits_count_the_plaintext(
    hass: HomeAssistant,
    encrypting_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """A maximal message and title go out, though encoded they are far longer."""
    maximal_title = "𝄞" * 250
    await send(hass, message=MAXIMAL_MESSAGE, title=maximal_title)

    [received] = simulator.messages
    assert len(received.message) > 1024
    assert received.decryptions[TEST_USER_KEY].plaintext == {
        "message": MAXIMAL_MESSAGE,
        "title": maximal_title,
    }

    with pytest.raises(ServiceValidationError) as raised:
        await send(hass, message="Front door opened", title="𝄞" * 251)
    assert raised.value.translation_key == "title_too_long"
    assert len(simulator.messages) == 1


async def test_keyed_and_plain_recipients_never_share_a_call(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """Each account with a key gets a call of its own; the others one together."""
    await _load(
        hass,
        _entry(
            recipients={
                "Alex": (TEST_SECOND_USER_KEY, TEST_SECOND_ENCRYPTION_KEY),
            }
        ),
    )

    response = await send(
        hass, message="Front door opened", recipients=["Pushover", "Alex"]
    )

    plain, encrypted = simulator.messages
    assert (plain.users, plain.encrypted) == ([TEST_USER_KEY], False)
    assert plain.message == "Front door opened"
    assert encrypted.users == [TEST_SECOND_USER_KEY]
    assert encrypted.decryptions[TEST_SECOND_USER_KEY].plaintext["message"] == (
        "Front door opened"
    )
    assert [delivery["recipients"] for delivery in response["deliveries"]] == [
        ["Pushover"],
        ["Alex"],
    ]


async def test_two_keys_make_two_calls(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """Two encrypting accounts get the text each encrypted with its own key."""
    await _load(
        hass,
        _entry(
            primary_key=TEST_ENCRYPTION_KEY,
            recipients={
                "Alex": (TEST_SECOND_USER_KEY, TEST_SECOND_ENCRYPTION_KEY),
            },
        ),
    )

    await send(hass, message="Front door opened", recipients=["Pushover", "Alex"])

    assert [message.users for message in simulator.messages] == [
        [TEST_USER_KEY],
        [TEST_SECOND_USER_KEY],
    ]
    for message in simulator.messages:
        [(_user, decryption)] = message.decryptions.items()
        assert decryption.plaintext["message"] == "Front door opened"
        assert decryption.problems == {}


async def test_a_key_that_cannot_encrypt_sends_nothing(
    hass: HomeAssistant, api_base_url: str, simulator: PushoverSimulator
) -> None:
    """A damaged stored key fails the whole send, translated: no plaintext, no half."""
    await _load(hass, _entry(recipients={"Alex": (TEST_SECOND_USER_KEY, "zz" * 32)}))

    with pytest.raises(HomeAssistantError) as raised:
        await send(hass, message="Front door opened", recipients=["Pushover", "Alex"])

    assert raised.value.translation_key == "encryption_failed"
    assert raised.value.translation_placeholders == {
        "recipients": "Alex",
        "error": "the encryption key is not hexadecimal",
    }
    assert simulator.messages == []


def _spooled(hass: HomeAssistant, entry: MockConfigEntry) -> list[bytes]:
    folder = Path(hass.config.path(".storage", f"{DOMAIN}_outbox", entry.entry_id))
    return [path.read_bytes() for path in sorted(folder.iterdir())]


async def test_a_queued_message_is_never_plaintext_on_disk(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    encrypting_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The outbox keeps the encrypted fields; they go out as stored, and decrypt."""
    delivered: list[Event] = []
    hass.bus.async_listen(EVENT_DELIVERED, delivered.append)
    simulator.faults.fail_next = FOREVER
    texts = {
        "message": "Alarm code is 4711",
        "title": "Front door",
        "url": "https://example.com/secret-camera",
        "url_title": "Secret camera",
    }

    response = await send(hass, **texts)

    assert response["queued"] is True
    [record] = _spooled(hass, encrypting_entry)
    assert not any(text.encode() in record for text in texts.values())
    stored = json.loads(record)["message"]
    assert stored["encrypted"] is True
    assert decrypt_field(stored["message"], TEST_ENCRYPTION_KEY, MAX_BYTES) == (
        "Alarm code is 4711"
    )

    simulator.faults.fail_next = 0
    await advance(hass, freezer, 10, step=5)

    [received] = simulator.messages
    assert received.encrypted
    assert received.decryptions[TEST_USER_KEY].plaintext == texts
    assert _spooled(hass, encrypting_entry) == []
    # An event shows no ciphertext as the title, and no plaintext was kept.
    [event] = delivered
    assert event.data["title"] is None


async def test_a_tracked_emergency_shows_no_encrypted_title(
    hass: HomeAssistant,
    encrypting_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """The last-emergency sensor keeps neither the ciphertext nor the plaintext."""
    response = await send(
        hass, message="Smoke in the kitchen", title="Smoke", priority="emergency"
    )
    await hass.async_block_till_done()

    state = hass.states.get("sensor.pushover_app_last_emergency")
    assert state is not None
    assert state.attributes["receipt"] == response["receipt"]
    assert state.attributes["title"] is None
    [received] = simulator.messages
    assert received.decryptions[TEST_USER_KEY].plaintext["title"] == "Smoke"
