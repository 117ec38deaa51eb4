"""End-to-end encryption in the simulator, against vectors made with openssl and gzip.

The vectors (fixtures/e2ee/) come from the command-line tools alone; these
tests hold the simulator's own decryption to them, over real HTTP.
"""

import base64
from pathlib import Path
import re
from typing import Any

import aiohttp
import pytest

from pushover_simulator import (
    TEST_APP_TOKEN,
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_USER_KEY,
    DecryptionError,
    PushoverSimulator,
    decrypt_field,
)
from pushover_simulator.encryption import (
    BAD_PADDING,
    MAC_MISMATCH,
    NO_KEY,
    NOT_ENCRYPTED,
    NOT_GZIP,
    NOT_UTF8,
    PLAINTEXT_TITLE,
)

from .inbox import Reply, api

FIXTURES = Path(__file__).parent / "fixtures" / "e2ee"
SCRIPT = FIXTURES / "make-vectors.sh"

type Json = dict[str, Any]


def vector(name: str) -> str:
    """Return an encrypted vector as sent: one line of base64."""
    return (FIXTURES / "vectors" / f"{name}.b64").read_text(encoding="ascii")


def plaintext(name: str) -> str:
    """Return a vector's plaintext."""
    return (FIXTURES / "plain" / f"{name}.txt").read_text(encoding="utf-8")


def tampered(encoded: str, position: int) -> str:
    """Flip the lowest bit of one byte of an encrypted value."""
    raw = bytearray(base64.b64decode(encoded))
    raw[position] ^= 1
    return base64.b64encode(bytes(raw)).decode()


async def send(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> Reply:
    """POST an encrypted messages.json with the four fields' vectors by default."""
    base = {
        "token": TEST_APP_TOKEN,
        "user": TEST_USER_KEY,
        "encrypted": "1",
        "message": vector("message"),
        "title": vector("title"),
    }
    return await api(session, sim, "messages.json", data={**base, **fields})


def test_vectors_use_the_simulators_keys() -> None:
    """The script encrypts with the test accounts' keys."""
    script = SCRIPT.read_text(encoding="utf-8")
    assert re.search(rf"^KEY={TEST_ENCRYPTION_KEY}$", script, re.MULTILINE)
    assert re.search(
        rf"^SECOND_KEY={TEST_SECOND_ENCRYPTION_KEY}$", script, re.MULTILINE
    )


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
def test_decrypts_the_vectors(name: str) -> None:
    """Each vector decrypts to its plaintext, 4-byte UTF-8 and empty text too."""
    assert decrypt_field(vector(name), TEST_ENCRYPTION_KEY, 4096) == plaintext(name)


def test_decrypts_a_gzip_header_with_a_name_and_time() -> None:
    """The optional fields of a gzip header (`gzip -N`) do not stop decryption."""
    decrypted = decrypt_field(vector("named-message"), TEST_ENCRYPTION_KEY, 4096)
    assert decrypted == plaintext("message")


@pytest.mark.parametrize(
    ("encoded", "key", "problem"),
    [
        pytest.param(
            vector("second-key-message"), TEST_ENCRYPTION_KEY, MAC_MISMATCH, id="key"
        ),
        pytest.param(vector("message"), TEST_SECOND_ENCRYPTION_KEY, MAC_MISMATCH),
        pytest.param(tampered(vector("message"), 3), TEST_ENCRYPTION_KEY, MAC_MISMATCH),
        pytest.param(
            tampered(vector("message"), 20), TEST_ENCRYPTION_KEY, MAC_MISMATCH
        ),
        pytest.param(
            tampered(vector("message"), -1), TEST_ENCRYPTION_KEY, MAC_MISMATCH
        ),
        pytest.param(vector("not-gzip"), TEST_ENCRYPTION_KEY, NOT_GZIP, id="raw"),
        pytest.param(vector("bad-padding"), TEST_ENCRYPTION_KEY, BAD_PADDING),
        pytest.param(vector("latin-1"), TEST_ENCRYPTION_KEY, NOT_UTF8),
    ],
)
def test_refuses_what_does_not_decrypt(encoded: str, key: str, problem: str) -> None:
    """The HMAC is checked first: another key or one flipped bit fails it."""
    with pytest.raises(DecryptionError) as raised:
        decrypt_field(encoded, key, 4096)
    assert str(raised.value) == problem


def test_the_second_key_decrypts_its_own_vector() -> None:
    """The vector that fails with the test user's key is the second user's."""
    decrypted = decrypt_field(
        vector("second-key-message"), TEST_SECOND_ENCRYPTION_KEY, 4096
    )
    assert decrypted == plaintext("message")


def test_stops_inflating_past_the_limit() -> None:
    """A plaintext longer than the byte budget is not inflated whole."""
    with pytest.raises(DecryptionError):
        decrypt_field(vector("max-message"), TEST_ENCRYPTION_KEY, 4095)


async def test_accepts_and_decrypts_every_field(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """All four fields encrypted: accepted, kept encoded and decrypted."""
    reply = await send(
        session, simulator, url=vector("url"), url_title=vector("url_title")
    )
    assert (reply.status, reply.body["status"]) == (200, 1)
    [message] = simulator.messages
    assert message.encrypted
    assert (message.message, message.url_title) == (
        vector("message"),
        vector("url_title"),
    )
    decryption = message.decryptions[TEST_USER_KEY]
    assert decryption.plaintext == {
        "message": plaintext("message"),
        "title": plaintext("title"),
        "url": plaintext("url"),
        "url_title": plaintext("url_title"),
    }
    assert decryption.problems == {}


async def test_limits_count_the_plaintext(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Maximal plaintexts pass, though their encoded forms exceed the limits."""
    fields = {
        "message": vector("max-message"),
        "title": vector("max-title"),
        "url": vector("max-url"),
        "url_title": vector("max-url_title"),
    }
    assert len(fields["message"]) > 1024
    assert len(fields["url_title"]) > 100
    reply = await send(session, simulator, **fields)
    assert reply.status == 200, reply.body
    shown = simulator.messages[0].decryptions[TEST_USER_KEY].plaintext
    assert len(shown["message"]) == 1024
    assert (len(shown["title"]), len(shown["url"]), len(shown["url_title"])) == (
        250,
        512,
        100,
    )


@pytest.mark.parametrize(
    ("field", "limit"),
    [("message", 1024), ("title", 250), ("url", 512), ("url_title", 100)],
)
async def test_plaintext_beyond_a_limit_is_refused(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    field: str,
    limit: int,
) -> None:
    """One character too many, once decrypted: the plaintext rule's answer."""
    reply = await send(session, simulator, **{field: vector(f"over-{field}")})
    assert reply.status == 400
    assert reply.body["errors"] == [
        f"{field} is too long, maximum is {limit} characters"
    ]
    assert reply.body[field] == "invalid"
    assert simulator.messages == []
    assert simulator.remaining == 10000


async def test_an_empty_message_is_refused_and_an_empty_title_shown_empty(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The message must not be blank once decrypted; other fields may be."""
    blank = await send(session, simulator, message=vector("empty"))
    assert (blank.status, blank.body["errors"]) == (400, ["message cannot be blank"])
    reply = await send(session, simulator, title=vector("empty"))
    assert reply.status == 200
    assert simulator.messages[0].decryptions[TEST_USER_KEY].plaintext["title"] == ""


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Front door opened", id="plaintext"),
        pytest.param("AAAA" * 20, id="too-short"),
        pytest.param(base64.b64encode(bytes(16 + 17 + 32)).decode(), id="part-block"),
        pytest.param("é" * 108, id="not-ascii"),
    ],
)
async def test_a_field_that_cannot_be_encrypted_is_refused(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, value: str
) -> None:
    """Not base64 of IV, whole blocks and HMAC: the sender forgot to encrypt."""
    reply = await send(session, simulator, url=value)
    assert reply.status == 400
    assert reply.body["url"] == "invalid"
    assert reply.body["errors"] == [f"url {NOT_ENCRYPTED}"]


async def test_undecryptable_fields_are_accepted_and_marked(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Pushover cannot read them: accepted, and the device shows each problem."""
    reply = await send(
        session,
        simulator,
        message=tampered(vector("message"), 40),
        title=vector("second-key-message"),
        url=vector("not-gzip"),
        url_title=vector("bad-padding"),
    )
    assert reply.status == 200
    decryption = simulator.messages[0].decryptions[TEST_USER_KEY]
    assert decryption.plaintext == {}
    assert decryption.problems == {
        "message": MAC_MISMATCH,
        "title": MAC_MISMATCH,
        "url": NOT_GZIP,
        "url_title": BAD_PADDING,
    }
    assert simulator.remaining == 9999


async def test_each_account_decrypts_with_its_own_key(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A group send: the key's account reads it, another fails, a keyless one too."""
    reply = await send(session, simulator, user=TEST_GROUP_KEY, title=vector("title"))
    assert reply.status == 200
    decryptions = simulator.messages[0].decryptions
    assert decryptions[TEST_USER_KEY].plaintext["message"] == plaintext("message")
    assert decryptions[TEST_SECOND_USER_KEY].problems == {
        "message": MAC_MISMATCH,
        "title": MAC_MISMATCH,
    }
    assert decryptions[TEST_GROUP_MEMBER_KEY].problems == {
        "message": NO_KEY,
        "title": NO_KEY,
    }


async def test_without_a_title_the_device_cannot_show_one(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Reported: Pushover fills in the app's name in plaintext; marked as such."""
    reply = await api(
        session,
        simulator,
        "messages.json",
        data={
            "token": TEST_APP_TOKEN,
            "user": TEST_USER_KEY,
            "encrypted": "1",
            "message": vector("message"),
        },
    )
    assert reply.status == 200
    decryption = simulator.messages[0].decryptions[TEST_USER_KEY]
    assert decryption.plaintext == {"message": plaintext("message")}
    assert decryption.problems == {"title": PLAINTEXT_TITLE}


async def test_plaintext_sends_keep_their_limits_and_flag(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Without encrypted=1 a vector is just long text; encrypted must be 0 or 1."""
    plain = await send(session, simulator, encrypted="0", message=vector("max-message"))
    assert plain.body["errors"] == ["message is too long, maximum is 1024 characters"]
    wrong = await send(session, simulator, encrypted="yes")
    assert (wrong.status, wrong.body["encrypted"]) == (400, "invalid")
    accepted = await send(session, simulator, encrypted="0")
    assert accepted.status == 200
    assert not simulator.messages[0].encrypted
    assert simulator.messages[0].decryptions == {}


async def test_keys_are_set_and_removed_through_the_control_api(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """A user who turns encryption off (or changes the key) cannot decrypt."""
    url = simulator.root_url + "_sim/encryption-keys"
    async with session.post(url, json={"user": TEST_USER_KEY, "key": None}) as raw:
        assert raw.status == 200
        assert TEST_USER_KEY not in await raw.json()
    assert (await send(session, simulator)).status == 200
    assert (
        simulator.messages[-1].decryptions[TEST_USER_KEY].problems["message"] == NO_KEY
    )
    new_key = TEST_SECOND_ENCRYPTION_KEY.upper()
    async with session.post(url, json={"user": TEST_USER_KEY, "key": new_key}) as raw:
        assert (await raw.json())[TEST_USER_KEY] == TEST_SECOND_ENCRYPTION_KEY
    assert (
        await send(session, simulator, message=vector("second-key-message"))
    ).status == 200
    assert simulator.messages[-1].decryptions[TEST_USER_KEY].plaintext["message"] == (
        plaintext("message")
    )
    for body in (
        {"user": TEST_USER_KEY, "key": "00"},
        {"user": "nobody", "key": None},
        {"key": None},
    ):
        async with session.post(url, json=body) as refused:
            assert refused.status == 400
    simulator.reset()
    assert simulator.state.directory.encryption_keys[TEST_USER_KEY] == (
        TEST_ENCRYPTION_KEY
    )


async def test_the_phone_shows_the_plaintext_and_the_encrypted_form(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The first recipient's decryption is shown, beside what was sent."""
    await send(session, simulator, user=TEST_GROUP_KEY, url=vector("url"), html="1")
    async with session.get(simulator.root_url + "_sim/phone/state") as raw:
        shown: Json = (await raw.json())["messages"][0]
    assert (shown["title"], shown["message"], shown["url"]) == (
        plaintext("title"),
        plaintext("message"),
        plaintext("url"),
    )
    assert shown["html_safe"] == plaintext("message")
    assert shown["url_href"] == plaintext("url")
    encryption = shown["encryption"]
    assert encryption["encoded"] == {
        "message": vector("message"),
        "title": vector("title"),
        "url": vector("url"),
    }
    assert [account["user"] for account in encryption["accounts"]] == [
        TEST_USER_KEY,
        TEST_SECOND_USER_KEY,
        TEST_GROUP_MEMBER_KEY,
    ]
    assert encryption["accounts"][2]["problems"]["url"] == NO_KEY


async def test_the_phone_shows_no_text_it_cannot_decrypt(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """An undecryptable field is shown as missing, its problem beside it."""
    await send(session, simulator, message=vector("second-key-message"))
    async with session.get(simulator.root_url + "_sim/phone/state") as raw:
        shown: Json = (await raw.json())["messages"][0]
    assert (shown["message"], shown["title"]) == (None, plaintext("title"))
    assert shown["encryption"]["accounts"][0]["problems"] == {"message": MAC_MISMATCH}
