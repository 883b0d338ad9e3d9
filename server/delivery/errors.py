class TemporaryFailure(Exception):
    """The delivery failed and may succeed later: retry with back-off."""


class PermanentFailure(Exception):
    """The delivery can never succeed (its target is gone): stop trying."""
