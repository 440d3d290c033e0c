"""The error raised when an encoder's weights are not on this machine."""

from __future__ import annotations

from medslice.errors import MissingFileError

CONF_FILE_HINT = "conf/<env>/parameters/embedding.yml"


class MissingModelError(MissingFileError):
    """A model or its weights could not be found locally (nothing is ever downloaded).

    The message names what was looked for, the configuration key that chooses it, and how to
    provide it.
    """

    def __init__(self, what: str, looked_for: str, conf_keys: tuple[str, ...], how: str) -> None:
        keys = " / ".join(f"`{key}`" for key in conf_keys)
        super().__init__(f"{what} not found. Looked for: {looked_for}. Set {keys} in {CONF_FILE_HINT}. {how}")
        self.what = what
        self.looked_for = looked_for
        self.conf_keys = conf_keys
