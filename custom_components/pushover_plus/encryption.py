"""Pushover's end-to-end encryption of a message's text, per recipient account.

An account's Pushover app (version 5.0 or newer) shows its key: 256 bits as
64 hexadecimal characters. The same 32 bytes key AES-256-CBC and
HMAC-SHA256. Each of `message`, `title`, `url` and `url_title` is encrypted
on its own: gzip of the UTF-8 text, PKCS#7 padding, AES-256-CBC with a fresh
random 16-byte IV, an HMAC-SHA256 over IV ‖ ciphertext, and the field's
value is base64(IV ‖ ciphertext ‖ HMAC). The request says `encrypted=1`.

Pushover's server cannot read such fields, so a message to an encrypting
account always carries an encrypted title: without one Pushover puts the
application's name there in plaintext, which the device cannot decrypt
(reported by other senders, not verified).
"""

import base64
import os
from typing import Final
import zlib

from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .api import Message
from .const import HEX_DIGITS

ENCRYPTION_KEY_LENGTH: Final = 64
KEY_BYTES: Final = 32
IV_BYTES: Final = 16
AES_BLOCK_BITS: Final = 128
# zlib's switch for the gzip format. Its header holds no name and no time
# (nothing is gained by telling when a field was compressed), the same bytes
# as `gzip -9 -n`, with which Pushover's documentation makes its example.
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_GZIP_LEVEL: Final = 9


class EncryptionError(ValueError):
    """A field could not be encrypted with a recipient's key."""


def normalise_key(text: str) -> str:
    """Return a key as stored: without outer spaces, in lower case.

    The app shows the key in one case or the other; both mean the same bytes.
    """
    return text.strip().lower()


def is_valid_key(key: str) -> bool:
    """Tell whether a normalised key is 64 hexadecimal characters."""
    return len(key) == ENCRYPTION_KEY_LENGTH and not key.strip(HEX_DIGITS)


def encrypt_field(text: str, key: str) -> str:
    """Encrypt one field's text for the account whose key is `key` (64 hex).

    Raises EncryptionError for a key that is not 32 bytes of hexadecimal.
    """
    key_bytes = _key_bytes(key)
    padder = padding.PKCS7(AES_BLOCK_BITS).padder()
    padded = (
        padder.update(
            zlib.compress(text.encode("utf-8"), _GZIP_LEVEL, wbits=_GZIP_WBITS)
        )
        + padder.finalize()
    )
    iv = os.urandom(IV_BYTES)
    encryptor = Cipher(algorithms.AES(key_bytes), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    signer = hmac.HMAC(key_bytes, hashes.SHA256())
    signer.update(iv + ciphertext)
    return base64.b64encode(iv + ciphertext + signer.finalize()).decode("ascii")


def encrypt_message(message: Message, key: str, *, default_title: str) -> Message:
    """Return the message with its four text fields encrypted for one account.

    A message without a title gets `default_title` (the application's
    name), encrypted like the rest. Raises EncryptionError, and then nothing
    of the message may be sent to that account.
    """
    return message.replace(
        message=encrypt_field(message.message, key),
        title=encrypt_field(message.title or default_title, key),
        url=None if message.url is None else encrypt_field(message.url, key),
        url_title=(
            None if message.url_title is None else encrypt_field(message.url_title, key)
        ),
        encrypted=True,
    )


def _key_bytes(key: str) -> bytes:
    try:
        key_bytes = bytes.fromhex(key)
    except ValueError:
        msg = "the encryption key is not hexadecimal"
        raise EncryptionError(msg) from None
    if len(key_bytes) != KEY_BYTES:
        msg = f"the encryption key has {len(key_bytes)} bytes, not {KEY_BYTES}"
        raise EncryptionError(msg)
    return key_bytes
