"""Authorization request parameters that Passport settled, not read from the HTTP request:
a request object's merged into the query's, a pushed request's."""

from __future__ import annotations

from authlib.oauth2.rfc6749.requests import OAuth2Payload


class SettledPayload(OAuth2Payload):
    """One value per parameter, as Authlib's grants read a request's payload. `carried`,
    when set, is what the pages on the way (sign-in, consent) carry back to /authorize
    instead of the parameters themselves."""

    def __init__(self, data: dict[str, str], carried: list[tuple[str, str]] | None = None):
        self._data = data
        self._datalist = {name: [value] for name, value in data.items()}
        self.carried = carried

    @property
    def data(self):
        return self._data

    @property
    def datalist(self):
        return self._datalist
