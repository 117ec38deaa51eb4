"""Pushover's end-to-end encryption, as the recipients' devices undo it.

A sender that knows an account's key (the 64 hex characters its Pushover app
shows) encrypts `message`, `title`, `url` and `url_title` each on its own and
sends `encrypted=1`. Each field is base64 of IV ‖ ciphertext ‖ HMAC, where the
ciphertext is AES-256-CBC, with a random 16-byte IV, of the PKCS#7-padded
gzip of the UTF-8 text, and the HMAC is HMAC-SHA256 over IV ‖ ciphertext.
The same 32 bytes key the cipher and the HMAC.

This is the simulator's own implementation, written from that description
with the `cryptography` package; its tests hold it to vectors made with the
`openssl` and `gzip` command-line tools (tests/simulator/fixtures/e2ee/).

What the simulator decides, where Pushover's pages are silent:

- Pushover's server cannot read the fields, so it cannot refuse one that
  will not decrypt: such a message is accepted and each recipient account
  that cannot decrypt it gets a `problems` entry saying why (no key, an HMAC
  that does not match, ...), as its device would show an error.
- A field that cannot be an encrypted value at all (not base64, or too short
  for IV, one block and HMAC, or not whole blocks) is refused: the sender
  forgot to encrypt it.
- The length limits count the plaintext, not the encoded text (see the
  README); the simulator holds the keys the devices hold and refuses a field
  whose plaintext is too long with the same error as an unencrypted one.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Final
import zlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .models import Decryption, ReceivedMessage, Rejection
from .rules import MESSAGE_BLANK, TEXT_LIMITS, too_long

ENCRYPTED_FIELDS: Final = ("message", "title", "url", "url_title")
KEY_HEX_PATTERN: Final = re.compile(r"[0-9a-fA-F]{64}")
IV_BYTES: Final = 16
BLOCK_BYTES: Final = 16
MAC_BYTES: Final = 32
# Pushover's limits count characters of up to 4 bytes of UTF-8 each.
MAX_UTF8_BYTES_PER_CHAR: Final = 4
_GZIP_WINDOW: Final = 16 + zlib.MAX_WBITS  # zlib's switch for the gzip format

NOT_ENCRYPTED: Final = (
    "is not encrypted data: base64 of a 16-byte IV, whole AES blocks and a 32-byte HMAC"
)
NO_KEY: Final = "the account has no end-to-end encryption key"
MAC_MISMATCH: Final = "the HMAC does not match: another key, or altered data"
BAD_PADDING: Final = "the HMAC matches, but the decrypted data has no PKCS#7 padding"
NOT_GZIP: Final = "the HMAC matches, but the decrypted data is not gzip"
NOT_UTF8: Final = "the HMAC matches, but the text is not UTF-8"
# Reported by senders, not verified: without a title Pushover puts the
# application's name there in plaintext, which an encrypting device cannot
# decrypt.
PLAINTEXT_TITLE: Final = (
    "no title was sent: Pushover puts the application's name there in "
    "plaintext, which the device cannot decrypt"
)


class DecryptionError(ValueError):
    """A field cannot be decrypted with the key; the text says why."""


class PlaintextTooLongError(DecryptionError):
    """A field decrypts to more bytes than its character limit allows."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """An encrypted field split into its parts."""

    iv: bytes
    ciphertext: bytes
    mac: bytes


def open_envelope(encoded: str) -> Envelope | None:
    """Split a field into IV, ciphertext and HMAC; None when it cannot be one."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    ciphertext = raw[IV_BYTES:-MAC_BYTES]
    if not ciphertext or len(ciphertext) % BLOCK_BYTES:
        return None
    return Envelope(raw[:IV_BYTES], ciphertext, raw[-MAC_BYTES:])


def decrypt_field(encoded: str, key_hex: str, max_bytes: int) -> str:
    """Decrypt one field: the HMAC first, then AES, padding, gzip and UTF-8.

    Raises DecryptionError saying what failed, and PlaintextTooLongError
    once the text passes `max_bytes` (so a gzip bomb is never inflated).
    """
    envelope = open_envelope(encoded)
    if envelope is None:
        raise DecryptionError(NOT_ENCRYPTED)
    key = bytes.fromhex(key_hex)
    signer = hmac.HMAC(key, hashes.SHA256())
    signer.update(envelope.iv + envelope.ciphertext)
    try:
        signer.verify(envelope.mac)
    except InvalidSignature:
        raise DecryptionError(MAC_MISMATCH) from None
    decryptor = Cipher(algorithms.AES(key), modes.CBC(envelope.iv)).decryptor()
    padded = decryptor.update(envelope.ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        compressed = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError(BAD_PADDING) from None
    try:
        return _gunzip(compressed, max_bytes).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError(NOT_UTF8) from None


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Inflate one or more gzip members, stopping past `max_bytes` of output."""
    output = bytearray()
    while True:
        inflater = zlib.decompressobj(_GZIP_WINDOW)
        try:
            output += inflater.decompress(data, max_bytes + 1 - len(output))
        except zlib.error:
            raise DecryptionError(NOT_GZIP) from None
        if len(output) > max_bytes:
            raise PlaintextTooLongError
        if not inflater.eof:  # cut short, or no gzip at all
            raise DecryptionError(NOT_GZIP)
        data = inflater.unused_data
        if not data:
            return bytes(output)


def shape_rejection(message: ReceivedMessage) -> Rejection:
    """Refuse the encrypted fields that cannot be encrypted values at all."""
    rejection = Rejection()
    for name, encoded in encoded_fields(message).items():
        if open_envelope(encoded) is None:
            rejection.add(name, f"{name} {NOT_ENCRYPTED}")
    return rejection


def encoded_fields(message: ReceivedMessage) -> dict[str, str]:
    """Return the encrypted fields the sender gave, as sent."""
    values = {
        "message": message.message,
        "title": message.title,
        "url": message.url,
        "url_title": message.url_title,
    }
    return {name: value for name, value in values.items() if value is not None}


def decrypt_message(
    message: ReceivedMessage, keys: Mapping[str, str]
) -> dict[str, Decryption] | Rejection:
    """Decrypt an encrypted message for each account it reaches.

    `keys` holds the accounts' encryption keys. A field whose plaintext, for
    any account that decrypts it, is longer than its limit refuses the
    message, and so does a blank message.
    """
    fields = encoded_fields(message)
    rejection = Rejection()
    decryptions: dict[str, Decryption] = {}
    for user in dict.fromkeys(route.user for route in message.routes):
        key = keys.get(user)
        if key is None:
            decryptions[user] = Decryption(problems=dict.fromkeys(fields, NO_KEY))
            continue
        decryption = _decrypt_for(fields, key, rejection)
        if message.title is None:
            decryption.problems["title"] = PLAINTEXT_TITLE
        decryptions[user] = decryption
    return rejection or decryptions


def _decrypt_for(
    fields: Mapping[str, str], key: str, rejection: Rejection
) -> Decryption:
    """Decrypt each field with one key; refuse plaintexts beyond their limits."""
    decryption = Decryption()
    for name, encoded in fields.items():
        limit = TEXT_LIMITS[name]
        try:
            text = decrypt_field(encoded, key, limit * MAX_UTF8_BYTES_PER_CHAR)
        except PlaintextTooLongError:
            _refuse(rejection, name, too_long(name, limit))
            continue
        except DecryptionError as error:
            decryption.problems[name] = str(error)
            continue
        if len(text) > limit:
            _refuse(rejection, name, too_long(name, limit))
        elif name == "message" and not text.strip():
            _refuse(rejection, name, MESSAGE_BLANK)
        decryption.plaintext[name] = text
    return decryption


def _refuse(rejection: Rejection, name: str, error: str) -> None:
    """Add a plaintext error once, however many accounts decrypt the field."""
    if error not in rejection.errors:
        rejection.add(name, error)
