"""The error of a backup, restore, export or import that cannot be made (its own module: backup.py and the
document copies both raise it)."""


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says what and where."""
