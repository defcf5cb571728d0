"""Password and token hashing: argon2id for passwords, SHA-256 for random API tokens.

argon2id (RFC 9106) with argon2-cffi's defaults (3 passes over 64 MiB) makes each guess at a stolen
hash expensive. API tokens are 256-bit random values, so a fast hash is enough to make a stolen
database useless and still allows looking a token up by its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "dsm_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at the next login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_verification_time(password: str) -> None:
    """Verify against a throw-away hash: an unknown username then takes as long as a wrong password."""
    verify_password(_dummy_hash(), password)


def new_password() -> str:
    """A random password for a reset: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
