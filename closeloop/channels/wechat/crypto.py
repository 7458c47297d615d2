"""WeChat's server-address security: SHA-1 request signatures and the AES "safe mode".

WeChat signs every call to our server address with ``sha1(sorted([token, timestamp, nonce]))``
and, in safe mode, signs the encrypted body too (``msg_signature`` over
``sorted([token, timestamp, nonce, Encrypt])``). The body is AES-256-CBC with
``key = base64(EncodingAESKey + "=")``, ``IV = key[:16]`` and PKCS#7 padding to 32-byte
blocks; the plaintext is 16 random bytes, the XML's length (4 bytes, big-endian), the XML and
the AppID. A wrong key leaves garbage whose padding, length or AppID do not check out, so every
decryption failure is answered as an invalid signature: the message cannot be from WeChat.

Pure functions, no database: the endpoint and the tests (and the benchmark's senders) share them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.utils.translation import gettext as _

from closeloop.channels.signing import TOLERANCE_SECONDS, InvalidSignature

BLOCK_SIZE = 32  # WeChat pads to 32 bytes, not AES's 16
ENCODING_AES_KEY_LENGTH = 43
_RANDOM_PREFIX = 16
_LENGTH_FIELD = 4


def signature(*parts: str) -> str:
    """WeChat's request signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's


def check_signature(expected_parts: tuple[str, ...], given: str) -> None:
    """Raise ``InvalidSignature`` unless ``given`` signs the parts."""
    if not given or not hmac.compare_digest(signature(*expected_parts), given.strip().lower()):
        raise InvalidSignature(_("The WeChat signature does not match."))


def check_timestamp(timestamp: str, *, now: float | None = None) -> None:
    """Refuse a missing or stale timestamp, so a captured request cannot be replayed later
    (within the tolerance, MsgId and FromUserName+CreateTime deduplicate)."""
    try:
        seconds = int(timestamp)
    except ValueError:
        raise InvalidSignature(_("The WeChat timestamp is missing or not a number.")) from None
    current = time.time() if now is None else now
    if abs(current - seconds) > TOLERANCE_SECONDS:
        raise InvalidSignature(_("The WeChat timestamp is too far from now."))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key an account's 43-character EncodingAESKey stands for."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise InvalidSignature(_("The account's EncodingAESKey must be 43 characters."))
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature(_("The account's EncodingAESKey is not valid base64.")) from None
    if len(key) != 32:
        raise InvalidSignature(_("The account's EncodingAESKey must decode to 32 bytes."))
    return key


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def decrypt(*, encoding_aes_key: str, app_id: str, encrypted: str) -> bytes:
    """The XML inside a safe-mode ``Encrypt`` value; ``InvalidSignature`` when it cannot be
    decrypted with this key or was encrypted for another AppID."""
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature(_("The encrypted message is not base64.")) from None
    if not data or len(data) % 16:
        raise InvalidSignature(_("The encrypted message has a wrong length."))
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK_SIZE or plain[-pad:] != bytes([pad]) * pad:
        raise InvalidSignature(_("The encrypted message cannot be decrypted with this key."))
    content = plain[_RANDOM_PREFIX:-pad]
    if len(content) < _LENGTH_FIELD:
        raise InvalidSignature(_("The encrypted message cannot be decrypted with this key."))
    (length,) = struct.unpack(">I", content[:_LENGTH_FIELD])
    end = _LENGTH_FIELD + length
    if end > len(content):
        raise InvalidSignature(_("The encrypted message cannot be decrypted with this key."))
    from_app_id = content[end:]
    if not hmac.compare_digest(from_app_id, app_id.encode()):
        raise InvalidSignature(_("The encrypted message was not meant for this account."))
    return content[_LENGTH_FIELD:end]


def encrypt(
    *, encoding_aes_key: str, app_id: str, xml: bytes, random_prefix: bytes | None = None
) -> str:
    """Encrypt ``xml`` the way WeChat does (for passive replies, the tests and the benchmark)."""
    key = aes_key(encoding_aes_key)
    prefix = os.urandom(_RANDOM_PREFIX) if random_prefix is None else random_prefix
    if len(prefix) != _RANDOM_PREFIX:
        raise ValueError("the random prefix must be 16 bytes")
    content = prefix + struct.pack(">I", len(xml)) + xml + app_id.encode()
    pad = BLOCK_SIZE - len(content) % BLOCK_SIZE
    encryptor = _cipher(key).encryptor()
    data = encryptor.update(content + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(data).decode("ascii")
