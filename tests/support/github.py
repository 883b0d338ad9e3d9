"""A local server imitating GitHub's OAuth 2.0 endpoints for the sign-in tests.

`/login/oauth/authorize` has no page: it answers at once as the person `github.person`
(set by the test) would, with a code, or with `error=access_denied` when `github.deny` is
set. `/login/oauth/access_token` checks the client, the code, the redirect URI and the
PKCE verifier like GitHub does; `/user` and `/user/emails` answer for the token's person.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from .serving import LocalService


@dataclass
class GitHubPerson:
    id: int
    login: str
    name: str | None = None
    emails: list = field(default_factory=list)
    # When set, /user answers with this body instead of the person's fields.
    user: object = None

    @classmethod
    def make(cls, email: str | None, *, verified: bool = True, name: str = "Octo Cat"):
        number = secrets.randbelow(10**8) + 1000
        emails = []
        if email:
            emails.append({"email": email, "primary": True, "verified": verified})
        emails.append(
            {"email": f"{number}+octo@users.noreply.github.com", "primary": False, "verified": True}
        )
        return cls(id=number, login=f"octo{number}", name=name, emails=emails)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server asks for
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        github = self.server.service
        if url.path == "/login/oauth/authorize":
            return self._redirect(github._authorize(query))
        person = github._person_for(self.headers.get("Authorization", ""))
        if person is None:
            return self._json(401, {"message": "Bad credentials"})
        if url.path == "/user":
            if person.user is not None:  # an odd answer, as the test sets it
                return self._json(200, person.user)
            return self._json(
                200, {"id": person.id, "login": person.login, "name": person.name, "email": None}
            )
        if url.path == "/user/emails":
            return self._json(200, person.emails)
        return self._json(404, {"message": "Not Found"})

    def do_POST(self):  # noqa: N802
        length = min(int(self.headers.get("Content-Length") or 0), 100_000)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path != "/login/oauth/access_token":
            return self._json(404, {"message": "Not Found"})
        github = self.server.service
        if github.slow:
            time.sleep(github.slow)
        body = github._exchange(form)
        if "application/json" in self.headers.get("Accept", ""):
            return self._json(200, body)  # GitHub answers errors with 200 too
        return self._send(200, urlencode(body).encode(), "application/x-www-form-urlencoded")

    def _redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, status: int, body):
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting
            pass

    def log_message(self, format, *args):  # noqa: A002 - quiet in tests
        pass


class FakeGitHub(LocalService):
    """`with FakeGitHub(client_id, client_secret) as github:` on a free port of 127.0.0.1."""

    handler = _Handler

    def __init__(self, client_id: str, client_secret: str):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.person: GitHubPerson | None = None
        self.deny = False
        self.slow = 0.0
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, GitHubPerson] = {}
        self._lock = threading.Lock()

    def _authorize(self, query: dict) -> str:
        redirect_uri = query.get("redirect_uri", "")
        params = {"state": query.get("state", "")}
        if query.get("client_id") != self.client_id:
            params["error"] = "unauthorized_client"
        elif self.deny or self.person is None:
            params["error"] = "access_denied"
            params["error_description"] = "The user has denied your application access."
        else:
            code = secrets.token_hex(10)
            with self._lock:
                self._codes[code] = {
                    "person": self.person,
                    "redirect_uri": redirect_uri,
                    "challenge": query.get("code_challenge"),
                }
            params["code"] = code
        return redirect_uri + "?" + urlencode(params)

    def _exchange(self, form: dict) -> dict:
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return {"error": "incorrect_client_credentials"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return {"error": "bad_verification_code"}
        if grant["challenge"]:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return {"error": "bad_verification_code"}
        token = "gho_" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = grant["person"]
        return {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}

    def _person_for(self, authorization: str) -> GitHubPerson | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        with self._lock:
            return self._tokens.get(token.strip())
