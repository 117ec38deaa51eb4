"""The send action's choices: the account's sounds and the recipients' devices.

Against the simulator, whose account has the built-in sounds and one custom
sound (doorbell), a primary user with phone, tablet and watch, and a second
user (Alex) with a laptop.
"""

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service import async_get_all_descriptions
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.api import PushoverClient, PushoverError
from custom_components.pushover_plus.config_flow import token_unique_id
from custom_components.pushover_plus.const import (
    CHOICES_MAX_AGE,
    CHOICES_RETRY_INTERVAL,
    CONF_SERVICE_NAME,
    DOMAIN,
)
from pushover_simulator import (
    BUILTIN_SOUNDS,
    CUSTOM_SOUNDS,
    TEST_OTHER_APP_TOKEN,
    PushoverSimulator,
)

from . import send

AWAY = "Pushover is away"


async def _selector(hass: HomeAssistant, field: str) -> dict[str, Any]:
    """Return the select selector the send action's form shows for a field."""
    descriptions = await async_get_all_descriptions(hass)
    fields = descriptions[DOMAIN]["send_message"]["fields"]["delivery"]["fields"]
    selector: dict[str, Any] = fields[field]["selector"]["select"]
    return selector


async def _options(hass: HomeAssistant, field: str) -> dict[str, str]:
    """Return the form's options for a field, value to label."""
    selector = await _selector(hass, field)
    return {option["value"]: option["label"] for option in selector["options"]}


def _reads(simulator: PushoverSimulator, path: str) -> int:
    return sum(record.path == f"/1/{path}" for record in simulator.requests)


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _load_with_only_the_primary_readable(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Load the entry while Pushover answers for the primary key alone."""
    original = PushoverClient.validate_user
    primary = entry.data["user_key"]

    async def only_the_primary(
        client: PushoverClient, user: str, device: str | None = None
    ) -> Any:
        if user != primary:
            raise PushoverError(AWAY)
        return await original(client, user, device)

    with patch.object(PushoverClient, "validate_user", only_the_primary):
        await _load(hass, entry)


async def test_form_offers_the_accounts_sounds_and_devices(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Custom sounds are offered with Pushover's labels, devices with their owners.

    The primary key's devices come with setup's check; Alex's need a read of
    their own, and the sounds one: nothing more.
    """
    await _load(hass, entry_with_alex)

    assert await _options(hass, "sound") == {**BUILTIN_SOUNDS, **CUSTOM_SOUNDS}
    assert await _options(hass, "device") == {
        "laptop": "laptop (Alex)",
        "phone": "phone (Pushover)",
        "tablet": "tablet (Pushover)",
        "watch": "watch (Pushover)",
    }
    for field in ("sound", "device"):
        assert (await _selector(hass, field))["custom_value"] is True
    assert _reads(simulator, "sounds.json") == 1
    assert _reads(simulator, "users/validate.json") == 2


async def test_custom_sound_is_sent(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A custom sound of the account is sent as any other."""
    await send(hass, message="Ding", sound="doorbell")

    assert simulator.messages[-1].sound == "doorbell"


async def test_sound_the_account_lacks_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """The refusal lists the account's sounds; nothing is sent or read again."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", sound="gong")

    assert err.value.translation_key == "sound_unknown"
    placeholders = err.value.translation_placeholders
    assert placeholders is not None
    assert placeholders["sound"] == "gong"
    assert "doorbell" in placeholders["sounds"].split(", ")
    assert simulator.messages == []
    assert _reads(simulator, "sounds.json") == 1


async def test_sound_added_later_is_known_within_the_hour(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A sound added at pushover.net is read again once the list is an hour old.

    Then it is sent, and the form offers it too.
    """
    directory = simulator.state.directory
    directory.sounds = {**directory.sounds, "gong": "Gong (custom)"}
    with pytest.raises(ServiceValidationError):
        await send(hass, message="Hi", sound="gong")

    freezer.tick(CHOICES_MAX_AGE)
    await send(hass, message="Hi", sound="gong")

    assert simulator.messages[-1].sound == "gong"
    assert _reads(simulator, "sounds.json") == 2
    assert (await _options(hass, "sound"))["gong"] == "Gong (custom)"


async def test_failed_read_waits_an_hour(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read that fails keeps the list it had, and is not tried again at once."""
    freezer.tick(CHOICES_MAX_AGE)
    simulator.faults.fail_next = 1
    for _ in range(2):
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, message="Hi", sound="gong")
        assert err.value.translation_key == "sound_unknown"

    assert _reads(simulator, "sounds.json") == 2


async def test_without_the_list_pushover_decides(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """When the sounds could not be read, the form keeps the built-in ones.

    A sound is then sent as it is, and Pushover's own refusal comes back.
    """
    with patch.object(PushoverClient, "sounds", side_effect=PushoverError(AWAY)):
        await _load(hass, config_entry)

    assert await _options(hass, "sound") == BUILTIN_SOUNDS
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="Hi", sound="gong")

    assert err.value.translation_key == "send_rejected"


async def test_recipient_devices_unread_are_left_out(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A recipient whose devices cannot be read adds none to the form."""
    await _load_with_only_the_primary_readable(hass, entry_with_alex)

    assert "laptop" not in await _options(hass, "device")
    assert "phone" in await _options(hass, "device")


async def test_unloaded_entry_offers_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """Once the entry unloads, its devices and custom sounds leave the form.

    Reloaded within the hour, it offers them again without asking Pushover.
    """
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)

    assert await _options(hass, "sound") == BUILTIN_SOUNDS
    assert await _options(hass, "device") == {}

    assert await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert "doorbell" in await _options(hass, "sound")
    assert _reads(simulator, "sounds.json") == 1


async def test_reload_after_an_hour_reads_again(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload reads the sounds again once they are an hour old."""
    freezer.tick(CHOICES_MAX_AGE + timedelta(seconds=1))
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _reads(simulator, "sounds.json") == 2


async def test_two_entries_share_the_form(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """Two applications of one user offer each device once, under one name."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        version=config_entry.version,
        minor_version=config_entry.minor_version,
        data={
            **config_entry.data,
            CONF_API_TOKEN: TEST_OTHER_APP_TOKEN,
            CONF_SERVICE_NAME: "second",
        },
        unique_id=token_unique_id(TEST_OTHER_APP_TOKEN),
    )
    await _load(hass, config_entry)
    await _load(hass, other)

    assert (await _options(hass, "device"))["phone"] == "phone (Pushover)"


async def test_a_read_that_failed_at_setup_is_asked_again(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushover down at a start: the custom sounds come once it answers again.

    The form does not lack them for an hour, and the retries stop once the
    list is read.
    """
    with patch.object(PushoverClient, "sounds", side_effect=PushoverError(AWAY)):
        await _load(hass, config_entry)
        freezer.tick(CHOICES_RETRY_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert await _options(hass, "sound") == BUILTIN_SOUNDS

    freezer.tick(CHOICES_RETRY_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "doorbell" in await _options(hass, "sound")

    for _ in range(3):
        freezer.tick(CHOICES_RETRY_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert _reads(simulator, "sounds.json") == 1


async def test_an_unloaded_entry_asks_no_more(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The retry of a failed read ends with the entry."""
    with patch.object(PushoverClient, "sounds", side_effect=PushoverError(AWAY)):
        await _load(hass, config_entry)
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    freezer.tick(CHOICES_RETRY_INTERVAL * 3)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _reads(simulator, "sounds.json") == 0


async def test_devices_unread_at_setup_come_later(
    hass: HomeAssistant,
    entry_with_alex: MockConfigEntry,
    api_base_url: str,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A recipient's devices that setup could not read join the form later."""
    await _load_with_only_the_primary_readable(hass, entry_with_alex)
    assert "laptop" not in await _options(hass, "device")

    freezer.tick(CHOICES_RETRY_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert "laptop" in await _options(hass, "device")
    assert _reads(simulator, "sounds.json") == 1
