"""The username rule: which names a new account may take, and when two names are the same one.

Look-alike names let one person pass for another (``Admin`` beside ``admin``, a Cyrillic ``і`` in
``admіn``) or break what shows or files them (``../x``, markup). A new username is therefore ASCII
letters, digits, ``.``, ``_`` and ``-``, starting with a letter; and two names are the same when their
NFKC forms casefold alike (``username_key``), which the database holds unique.
"""

from __future__ import annotations

import re
import unicodedata

USERNAME_MAX_LENGTH = 64
USERNAME_RULE = (f"a username is 1 to {USERNAME_MAX_LENGTH} characters: ASCII letters, digits, '.', '_' and '-', "
                 "starting with a letter")
USERNAME_PATTERN = rf"[A-Za-z][A-Za-z0-9._-]{{0,{USERNAME_MAX_LENGTH - 1}}}"  # the portal's form checks it too
_ALLOWED = re.compile(USERNAME_PATTERN)


def username_key(username: str) -> str:
    """What makes two usernames the same: NFKC (compatibility forms such as full-width letters fold to their
    plain ones), then casefold."""
    return unicodedata.normalize("NFKC", username).casefold()


def username_problem(username: str) -> str | None:
    """Why a new username is refused (the rule, naming the name), or None when it is allowed."""
    if _ALLOWED.fullmatch(username):
        return None
    return f"username {username!r} is refused: {USERNAME_RULE}"
