"""The one exception type for bad input.

Every message is one line that names the field, the value and what is allowed; the CLI turns it
into exit code 2 and the web app into HTTP 422.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from a user: a one-line message naming the field, the value and what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
