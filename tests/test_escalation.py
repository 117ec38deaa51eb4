"""Escalation: an emergency goes to the next person until someone acknowledges.

Every test runs over real HTTP against the simulator, with time travelled by
the test's clock.
"""

from collections import Counter
from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.pushover_plus.api import Message
from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_ENCRYPTION_KEY,
    CONF_SERVICE_NAME,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    EVENT_ACKNOWLEDGED,
    EVENT_CANCELLED,
    EVENT_ESCALATED,
    EVENT_EXPIRED,
    SUBENTRY_RECIPIENT,
)
from custom_components.pushover_plus.data import token_unique_id
from custom_components.pushover_plus.escalation import (
    EscalationChain,
    EscalationStore,
    decode_chain,
    encode_chain,
    escalations_directory,
)
from custom_components.pushover_plus.message import AttachmentSource
from custom_components.pushover_plus.records import RecordError
from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_GROUP_KEY,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    PushoverSimulator,
)

from . import run_timers, send
from .conftest import PRIMARY_DATA, SECRETS

AFTER = 60
EXPIRE = 300
# The primary recipient first, then Alex, then the family's group.
CHAIN = {
    "message": "Water on the basement floor",
    "title": "Leak",
    "priority": "emergency",
    "retry": 30,
    "expire": EXPIRE,
    "escalate_to": ["Alex", "Family"],
    "escalate_after": AFTER,
}


def _subentry(subentry_id: str, title: str, key: str) -> ConfigSubentryDataWithId:
    return ConfigSubentryDataWithId(
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_RECIPIENT,
        title=title,
        data={CONF_USER_KEY: key, CONF_DEVICES: [], CONF_SERVICE_NAME: title.lower()},
        unique_id=None,
    )


@pytest.fixture
async def family_entry(hass: HomeAssistant, api_base_url: str) -> MockConfigEntry:
    """Load an entry of three recipients: Pushover, Alex and the Family group."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        subentries_data=[
            _subentry("01KALEX0000000000000000000", "Alex", TEST_SECOND_USER_KEY),
            _subentry("01KFAM1LY00000000000000000", "Family", TEST_GROUP_KEY),
        ],
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def chain_files(hass: HomeAssistant, entry: MockConfigEntry) -> list[Path]:
    """Return the files of the entry's running chains."""
    folder = escalations_directory(hass, entry.entry_id)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def steps_sent(simulator: PushoverSimulator) -> list[list[str]]:
    """Return the users of each emergency message Pushover accepted, in order."""
    return [message.users for message in simulator.messages if message.priority == 2]


def api_calls(simulator: PushoverSimulator, since: int) -> Counter[str]:
    """Count the sends, receipt reads and cancels after the first `since` calls.

    The quota's and the groups' own reads are left out: no chain makes them.
    """
    kinds: Counter[str] = Counter()
    for record in simulator.requests[since:]:
        if record.path.endswith("/cancel.json"):
            kinds["cancel"] += 1
        elif record.path.startswith("/1/receipts/"):
            kinds["receipt"] += 1
        elif record.path == "/1/messages.json":
            kinds["messages.json"] += 1
    return kinds


def no_secrets(events: list[Event[dict[str, Any]]]) -> None:
    """Fail if any event names a token or a user key."""
    text = json.dumps([event.data for event in events])
    assert not [secret for secret in SECRETS if secret in text]


async def test_nobody_answers(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every step goes out, one every minute; then every receipt expires."""
    escalated = async_capture_events(hass, EVENT_ESCALATED)
    expired = async_capture_events(hass, EVENT_EXPIRED)

    response = await send(hass, **CHAIN)
    chain_id = response["chain_id"]
    assert isinstance(chain_id, str)
    assert steps_sent(simulator) == [[TEST_USER_KEY]]
    assert [path.name for path in chain_files(hass, family_entry)] == [
        f"{chain_id}.json"
    ]

    await run_timers(hass, freezer, AFTER - 1)
    assert len(steps_sent(simulator)) == 1
    await run_timers(hass, freezer, 1)
    assert steps_sent(simulator) == [[TEST_USER_KEY], [TEST_SECOND_USER_KEY]]
    await run_timers(hass, freezer, AFTER)
    assert steps_sent(simulator)[2] == [TEST_GROUP_KEY]

    await run_timers(hass, freezer, EXPIRE + 60)

    assert len(steps_sent(simulator)) == 3
    assert [(event.data["step"], event.data["recipients"]) for event in escalated] == [
        (1, ["Alex"]),
        (2, ["Family"]),
    ]
    assert escalated[0].data["recipient_ids"] == ["01KALEX0000000000000000000"]
    assert {event.data["chain_id"] for event in [*escalated, *expired]} == {chain_id}
    assert len(expired) == 3
    assert chain_files(hass, family_entry) == []
    assert family_entry.runtime_data.escalations.running == []
    no_secrets([*escalated, *expired])


async def test_second_person_answers(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Alex acknowledges: the first receipt is cancelled, the third step never goes."""
    acknowledged = async_capture_events(hass, EVENT_ACKNOWLEDGED)
    cancelled = async_capture_events(hass, EVENT_CANCELLED)
    before = len(simulator.requests)

    response = await send(hass, **CHAIN)
    await run_timers(hass, freezer, AFTER)
    first, second = (message.receipt for message in simulator.messages)
    assert first is not None
    assert second is not None
    simulator.state.acknowledge(second, TEST_SECOND_USER_KEY, "laptop")
    await run_timers(hass, freezer, EXPIRE + 60)

    assert steps_sent(simulator) == [[TEST_USER_KEY], [TEST_SECOND_USER_KEY]]
    assert simulator.receipts[first].cancelled
    assert [event.data["acknowledged_by"] for event in acknowledged] == ["Alex"]
    assert [event.data["receipt"] for event in cancelled] == [first]
    assert {event.data["chain_id"] for event in [*acknowledged, *cancelled]} == {
        response["chain_id"]
    }
    assert chain_files(hass, family_entry) == []
    # Two messages and one cancel.json; the rest are the receipts' polls
    # (every 5 s in a receipt's first minute: 12 of the first, 2 of Alex's
    # until the acknowledgement is seen). The read before a step is the
    # poll's own, so a chain adds none.
    assert api_calls(simulator, before) == {
        "messages.json": 2,
        "cancel": 1,
        "receipt": 14,
    }
    no_secrets([*acknowledged, *cancelled])


async def test_restart_between_steps(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A step that fell due while Home Assistant was down goes out at the start."""
    escalated = async_capture_events(hass, EVENT_ESCALATED)
    response = await send(hass, **CHAIN)
    assert await hass.config_entries.async_unload(family_entry.entry_id)

    await run_timers(hass, freezer, AFTER + 30)
    assert len(steps_sent(simulator)) == 1
    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert steps_sent(simulator) == [[TEST_USER_KEY], [TEST_SECOND_USER_KEY]]
    assert escalated[0].data["chain_id"] == response["chain_id"]
    # The next step's clock started when Pushover took the late one.
    await run_timers(hass, freezer, AFTER - 1)
    assert len(steps_sent(simulator)) == 2
    await run_timers(hass, freezer, 1)
    assert steps_sent(simulator)[2] == [TEST_GROUP_KEY]


async def test_outage_during_a_step(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A step queued while Pushover is down starts its clock when it is accepted."""
    await send(hass, **CHAIN)
    await run_timers(hass, freezer, AFTER - 1)
    simulator.faults.fail_next = 1000

    await run_timers(hass, freezer, 120)
    assert len(steps_sent(simulator)) == 1
    assert len(family_entry.runtime_data.sender.outbox) == 1
    simulator.faults.fail_next = 0
    await run_timers(hass, freezer, 300)

    second, third = simulator.messages[1:]
    assert (second.users, third.users) == ([TEST_SECOND_USER_KEY], [TEST_GROUP_KEY])
    # To the second, as Pushover counts time: the step's clock starts when
    # Home Assistant records Pushover's answer, a moment after the simulator
    # stamped the message, and the test's timers move in whole seconds.
    assert third.received_at - second.received_at == pytest.approx(AFTER, abs=1)


async def test_cancel_escalation(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The action ends a chain: its open receipt is cancelled, no step follows."""
    response = await send(hass, **CHAIN)
    await hass.services.async_call(
        DOMAIN,
        "cancel_escalation",
        {"chain_id": response["chain_id"]},
        blocking=True,
    )
    await run_timers(hass, freezer, EXPIRE)

    assert len(steps_sent(simulator)) == 1
    assert simulator.receipts[response["receipt"]].cancelled
    assert chain_files(hass, family_entry) == []
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "cancel_escalation",
            {"chain_id": response["chain_id"]},
            blocking=True,
        )
    assert caught.value.translation_key == "unknown_chain"


async def test_step_accepted_after_the_chain_ended_is_cancelled(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A step that waited in the outbox goes out after the chain ended: cancelled."""
    response = await send(hass, **CHAIN)
    await run_timers(hass, freezer, AFTER - 1)
    simulator.faults.fail_next = 1000
    await run_timers(hass, freezer, 10)
    assert len(family_entry.runtime_data.sender.outbox) == 1
    simulator.faults.fail_next = 0
    simulator.state.acknowledge(response["receipt"], TEST_USER_KEY, "phone")

    await run_timers(hass, freezer, 300)

    late = simulator.messages[1]
    assert late.users == [TEST_SECOND_USER_KEY]
    assert late.receipt is not None
    assert simulator.receipts[late.receipt].cancelled
    assert len(steps_sent(simulator)) == 2


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"priority": "high"}, "escalation_not_emergency"),
        ({"escalate_after": 29}, "escalate_after_too_short"),
        ({"escalate_after": None}, "escalation_needs_both"),
        ({"escalate_to": []}, "escalation_needs_both"),
        ({"escalate_after": "soon"}, "invalid_type_whole_number"),
        ({"escalate_to": [3]}, "invalid_type_names"),
        ({"escalate_to": ["Bob"]}, "unknown_recipient"),
        ({"tags": ["x" * 180]}, "tags_too_long"),
    ],
)
async def test_bad_escalation_is_refused(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    data: dict[str, Any],
    key: str,
) -> None:
    """Each mistake has its translated error; nothing is sent."""
    fields = {**CHAIN, **data}
    fields = {name: value for name, value in fields.items() if value is not None}
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, **fields)

    assert caught.value.translation_key == key
    assert simulator.messages == []
    assert chain_files(hass, family_entry) == []


async def test_escalate_after_names_field_and_limit(
    hass: HomeAssistant, family_entry: MockConfigEntry
) -> None:
    """The error names the field, what was given and the retry it must reach."""
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, **{**CHAIN, "retry": 90, "escalate_after": "60"})

    assert caught.value.translation_placeholders == {
        "field": "escalate_after",
        "value": "60",
        "limit": "90",
    }


async def test_read_before_a_step_sees_an_acknowledgement(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Acknowledged after the last poll: the step's own read ends the chain."""
    slow = {**CHAIN, "expire": 3600, "escalate_after": 600}
    response = await send(hass, **slow)
    await run_timers(hass, freezer, 595)
    simulator.state.acknowledge(response["receipt"], TEST_USER_KEY, "phone")

    await run_timers(hass, freezer, 5)

    assert len(steps_sent(simulator)) == 1
    assert chain_files(hass, family_entry) == []


async def test_step_of_a_removed_recipient_is_skipped(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Alex is removed meanwhile: his step is skipped, the next one's clock starts."""
    await send(hass, **CHAIN)
    assert hass.config_entries.async_remove_subentry(
        family_entry, "01KALEX0000000000000000000"
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    await run_timers(hass, freezer, 2 * AFTER)

    assert steps_sent(simulator) == [[TEST_USER_KEY], [TEST_GROUP_KEY]]
    assert "Step 1 of escalation" in caplog.text
    assert "its recipient was removed" in caplog.text


async def test_refused_steps_let_the_chain_go_on(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The quota runs out: the steps fail, the chain ends when its receipt does."""
    await send(hass, **{**CHAIN, "expire": 100})
    simulator.set_remaining(0)

    await run_timers(hass, freezer, 2 * AFTER + 1)

    assert len(steps_sent(simulator)) == 1
    assert "Step 2 of escalation" in caplog.text
    assert "did not go out" in caplog.text
    assert chain_files(hass, family_entry) == []


async def test_refused_first_step_starts_no_chain(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
) -> None:
    """Pushover refuses the first step: the send's own error, and no chain."""
    simulator.set_remaining(0)

    with pytest.raises(HomeAssistantError):
        await send(hass, **CHAIN)

    assert family_entry.runtime_data.escalations.running == []
    assert chain_files(hass, family_entry) == []


async def test_partly_refused_first_step_runs(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The first step reached one of two (two calls): the chain runs on for them."""
    alex = family_entry.subentries["01KALEX0000000000000000000"]
    # A device that is not Alex's: Pushover refuses his call, not the other.
    hass.config_entries.async_update_subentry(
        family_entry, alex, data={**alex.data, CONF_DEVICES: ["tablet"]}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {**CHAIN, "recipients": ["Pushover", "Alex"], "escalate_to": ["Family"]},
            blocking=True,
        )
    assert caught.value.translation_key == "send_partly_refused"

    await run_timers(hass, freezer, AFTER)
    assert steps_sent(simulator)[-1] == [TEST_GROUP_KEY]


async def test_restart_before_the_acceptance_was_stored(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A chain file without its step's acceptance takes it from the receipts."""
    await send(hass, **CHAIN)
    assert await hass.config_entries.async_unload(family_entry.entry_id)
    [path] = chain_files(hass, family_entry)
    record = json.loads(path.read_bytes())
    del record["accepted_at"]
    path.write_text(json.dumps(record))
    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    await run_timers(hass, freezer, AFTER - 1)
    assert len(steps_sent(simulator)) == 1
    await run_timers(hass, freezer, 1)
    assert len(steps_sent(simulator)) == 2


async def test_tag_like_a_chains_is_left_alone(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An emergency tagged like a chain nobody started is left as it is."""
    response = await send(
        hass,
        message="Smoke",
        priority="emergency",
        tags=["escalation-0123456789abcdef"],
    )
    await send(hass, message="Smoke", priority="emergency")
    await run_timers(hass, freezer, 120)

    assert not simulator.receipts[response["receipt"]].cancelled
    assert len(steps_sent(simulator)) == 2


async def test_cancel_that_fails_is_logged(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pushover cannot be reached for the cancel: the chain ends all the same."""
    response = await send(hass, **CHAIN)
    simulator.faults.fail_next = 1

    await hass.services.async_call(
        DOMAIN,
        "cancel_escalation",
        {"chain_id": response["chain_id"]},
        blocking=True,
    )

    assert f"of escalation {response['chain_id']} was not cancelled" in caplog.text
    assert family_entry.runtime_data.escalations.running == []


async def test_store_that_cannot_be_written(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The chain runs in memory when its file cannot be written or deleted."""
    failing = OSError(28, "No space left on device")
    with (
        patch.object(EscalationStore, "async_write", side_effect=failing),
        patch.object(EscalationStore, "async_remove", side_effect=failing),
    ):
        await send(hass, **CHAIN)
        await run_timers(hass, freezer, 2 * AFTER + EXPIRE + 60)

    assert len(steps_sent(simulator)) == 3
    assert "Cannot store escalation" in caplog.text
    assert "Cannot delete the file of escalation" in caplog.text


async def test_unreadable_chain_file_is_set_aside(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file that is not a chain is renamed aside and named in the log."""
    assert await hass.config_entries.async_unload(family_entry.entry_id)
    folder = escalations_directory(hass, family_entry.entry_id)
    folder.mkdir(parents=True)
    (folder / "notes.json").write_text("{}")
    (folder / "0123456789abcdef.json").write_text("{")
    (folder / "old.json.unreadable").write_text("{")
    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done()

    assert sorted(path.name for path in folder.iterdir()) == [
        "0123456789abcdef.json.unreadable",
        "notes.json.unreadable",
        "old.json.unreadable",
    ]
    assert "not an escalation's file name" in caplog.text
    assert "not valid JSON" in caplog.text


async def test_removing_the_entry_deletes_its_chains(
    hass: HomeAssistant, family_entry: MockConfigEntry
) -> None:
    """The entry's chains go with it."""
    await send(hass, **CHAIN)
    assert chain_files(hass, family_entry) != []

    await hass.config_entries.async_remove(family_entry.entry_id)
    await hass.async_block_till_done()

    assert not escalations_directory(hass, family_entry.entry_id).exists()


def _record(**changes: Any) -> bytes:
    chain = EscalationChain(
        chain_id="0123456789abcdef",
        message=Message(message="Leak", priority=2, retry=30, expire=300),
        attachment=AttachmentSource(
            kind="attachment_base64", location="attachment_base64", content=b"\x89PNG"
        ),
        steps=[("primary",), ("01KALEX0000000000000000000",)],
        escalate_after=AFTER,
        handed_at=datetime(2026, 11, 15, 12, tzinfo=UTC),
    )
    record = json.loads(encode_chain(chain)) | changes
    return json.dumps(record).encode()


def test_chain_record_round_trip() -> None:
    """A chain is read back as written, its picture's bytes included."""
    chain = decode_chain(_record())

    assert chain.attachment is not None
    assert chain.attachment.content == b"\x89PNG"
    assert chain.steps == [("primary",), ("01KALEX0000000000000000000",)]
    assert chain.accepted_at is None
    assert chain.next_due() is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"format": 2}, "record format 2"),
        ({"surprise": 1}, "unknown field(s) in its record: surprise"),
        ({"steps": []}, "its steps are not a list of steps"),
        ({"steps": [[1]]}, "the step of its step is not a list of names"),
        ({"attachment": {"kind": "x", "size": 1}}, "unknown field(s)"),
    ],
)
def test_chain_record_refused(changes: dict[str, Any], reason: str) -> None:
    """Anything not written by this version is refused with the reason."""
    with pytest.raises(RecordError, match=re.escape(reason)):
        decode_chain(_record(**changes))


async def test_chain_id_must_match_its_file(
    hass: HomeAssistant, family_entry: MockConfigEntry
) -> None:
    """A chain's file named after another chain is set aside."""
    assert await hass.config_entries.async_unload(family_entry.entry_id)
    folder = escalations_directory(hass, family_entry.entry_id)
    folder.mkdir(parents=True)
    (folder / "fedcba9876543210.json").write_bytes(_record())
    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done()

    assert [path.name for path in folder.iterdir()] == [
        "fedcba9876543210.json.unreadable"
    ]


async def test_first_step_of_two_calls(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Two recipients with their own devices: two receipts, one clock, one chain.

    One acknowledgement cancels the other's receipt, and the group is never
    alerted.
    """
    alex = family_entry.subentries["01KALEX0000000000000000000"]
    hass.config_entries.async_update_subentry(
        family_entry, alex, data={**alex.data, CONF_DEVICES: ["laptop"]}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    await send(
        hass, **{**CHAIN, "recipients": ["Pushover", "Alex"], "escalate_to": ["Family"]}
    )
    mine, alexs = (message.receipt for message in simulator.messages)
    assert mine is not None
    assert alexs is not None
    simulator.state.acknowledge(alexs, TEST_SECOND_USER_KEY, "laptop")
    await run_timers(hass, freezer, AFTER)

    assert simulator.receipts[mine].cancelled
    assert len(steps_sent(simulator)) == 2


def test_chain_record_of_a_file_picture() -> None:
    """A picture from a file is stored as its path and fetched again per step."""
    source = AttachmentSource(kind="attachment", location="/media/leak.jpg")

    chain = decode_chain(_record())
    chain.attachment = source
    again = decode_chain(encode_chain(chain))

    assert again.attachment == source


async def test_restart_while_a_step_waits_in_the_outbox(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The queued step's clock starts when Pushover takes it, after the restart.

    The first step's receipt, still open, is older than the queued step: it
    does not start the clock.
    """
    await send(hass, **CHAIN)
    simulator.faults.fail_next = 1000
    await run_timers(hass, freezer, AFTER + 5)
    assert len(family_entry.runtime_data.sender.outbox) == 1
    assert await hass.config_entries.async_unload(family_entry.entry_id)
    await run_timers(hass, freezer, 2 * AFTER)
    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_timers(hass, freezer, 30)
    assert len(steps_sent(simulator)) == 1

    simulator.faults.fail_next = 0
    await run_timers(hass, freezer, 2 * AFTER)

    second, third = simulator.messages[1:]
    # To the second, as Pushover counts time: the step's clock starts when
    # Home Assistant records Pushover's answer, a moment after the simulator
    # stamped the message, and the test's timers move in whole seconds.
    assert third.received_at - second.received_at == pytest.approx(AFTER, abs=1)


async def test_acknowledged_while_home_assistant_was_down(
    hass: HomeAssistant,
    family_entry: MockConfigEntry,
    simulator: PushoverSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An acknowledgement made during a stop ends the chain at the start."""
    response = await send(hass, **CHAIN)
    assert await hass.config_entries.async_unload(family_entry.entry_id)
    simulator.state.acknowledge(response["receipt"], TEST_USER_KEY, "phone")
    await run_timers(hass, freezer, 2 * AFTER)

    assert await hass.config_entries.async_setup(family_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await run_timers(hass, freezer, 2 * AFTER)

    assert len(steps_sent(simulator)) == 1
    assert chain_files(hass, family_entry) == []


async def test_escalation_with_a_target_is_refused(
    hass: HomeAssistant, family_entry: MockConfigEntry, simulator: PushoverSimulator
) -> None:
    """A chain runs within one entry: with a target, the error says what to drop."""
    fields = {key: value for key, value in CHAIN.items() if key != "message"}
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, message="Leak", entity_id="notify.pushover", **fields)

    assert caught.value.translation_key == "target_with_recipients"
    assert caught.value.translation_placeholders == {
        "fields": "escalate_to, escalate_after"
    }
    assert simulator.messages == []


async def test_an_encrypted_recipient_takes_no_escalation(
    hass: HomeAssistant,
    api_base_url: str,
    simulator: PushoverSimulator,
) -> None:
    """A chain keeps its text on disk for later steps: not for a keyed account.

    Refused, naming the field and the recipient; nothing is sent or stored.
    """
    alex = _subentry("01KALEX0000000000000000000", "Alex", TEST_SECOND_USER_KEY)
    alex["data"] = {**alex["data"], CONF_ENCRYPTION_KEY: TEST_SECOND_ENCRYPTION_KEY}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Pushover",
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        data=PRIMARY_DATA,
        subentries_data=[
            alex,
            _subentry("01KFAM1LY00000000000000000", "Family", TEST_GROUP_KEY),
        ],
        unique_id=token_unique_id(TEST_APP_TOKEN),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, **CHAIN)

    assert caught.value.translation_key == "escalation_encrypted"
    assert caught.value.translation_placeholders == {
        "field": "escalate_to",
        "recipients": "Alex",
    }
    assert simulator.messages == []
    assert chain_files(hass, entry) == []
