"""The demo portal: a relying party of Passport on Authlib's Flask client."""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, abort, redirect, render_template, request, session, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .dpop import DPoPKey

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
DEFAULT_SETTINGS_FILE = Path(__file__).resolve().parents[2] / "instance" / "demo-portal.json"


class SessionStore:
    """The portal's own sessions, server-side, so a back-channel logout can end them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sessions: dict[str, dict] = {}
        self.seen_logout_jtis: set[str] = set()

    def create(self, data: dict) -> str:
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[key] = data
        return key

    def get(self, key: str | None) -> dict | None:
        with self._lock:
            return self._sessions.get(key) if key else None

    def update(self, key: str, data: dict) -> None:
        with self._lock:
            if key in self._sessions:
                self._sessions[key] = data

    def delete(self, key: str | None) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def end_matching(self, *, sub: str | None, sid: str | None) -> int:
        """End sessions of this Passport session (sid) or, without sid, of this person (sub)."""
        with self._lock:
            doomed = [
                key
                for key, data in self._sessions.items()
                if (sid and data["claims"].get("sid") == sid)
                or (not sid and sub and data["claims"].get("sub") == sub)
            ]
            for key in doomed:
                del self._sessions[key]
        return len(doomed)


def load_settings(overrides: dict | None = None) -> dict:
    settings = {}
    settings_file = Path(os.environ.get("PORTAL_SETTINGS_FILE", DEFAULT_SETTINGS_FILE))
    if settings_file.exists():
        data = json.loads(settings_file.read_text())
        settings = {
            "ISSUER": data["issuer"],
            "CLIENT_ID": data["client_id"],
            "CLIENT_SECRET": data["client_secret"],
            "URL": data["portal_url"],
        }
    for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "URL", "SECRET_KEY", "DPOP"):
        if os.environ.get("PORTAL_" + name):
            settings[name] = os.environ["PORTAL_" + name]
    settings.update(overrides or {})
    missing = [n for n in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "URL") if not settings.get(n)]
    if missing:
        raise SystemExit(
            "The demo portal needs "
            + ", ".join("PORTAL_" + n for n in missing)
            + " (or run `passport demo` first)."
        )
    settings.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    # DPoP (RFC 9449) unless PORTAL_DPOP=0: the portal's tokens are bound to its key.
    settings["DPOP"] = str(settings.get("DPOP", "1")).lower() not in ("0", "false", "no", "off")
    return settings


def create_portal(overrides: dict | None = None) -> Flask:
    settings = load_settings(overrides)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings["SECRET_KEY"],
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_SAMESITE="Lax",
        PORTAL=settings,
    )
    store = SessionStore()
    app.extensions["portal.sessions"] = store
    oauth = OAuth(app)
    passport = oauth.register(
        "passport",
        client_id=settings["CLIENT_ID"],
        client_secret=settings["CLIENT_SECRET"],
        server_metadata_url=settings["ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email phone profile offline_access",
            "code_challenge_method": "S256",
        },
    )
    dpop = DPoPKey() if settings["DPOP"] else None
    if dpop is not None:
        passport.client_cls = dpop.session_class()  # the code exchange sends proofs
    jwks_cache: dict = {}

    def call(method: str, endpoint: str, access_token: str | None = None, **kwargs):
        """A call to one of Passport's endpoints: with a DPoP proof when the portal has a key,
        and the access token in the scheme it was issued for."""
        url = passport.load_server_metadata()[endpoint]
        if dpop is not None:
            return dpop.request(method, url, access_token=access_token, **kwargs)
        if access_token:
            kwargs["headers"] = {"Authorization": "Bearer " + access_token}
        return requests.request(method, url, timeout=10, **kwargs)

    def jwks(refresh: bool = False) -> KeySet:
        if refresh or "keys" not in jwks_cache or jwks_cache["at"] < time.time() - 300:
            metadata = passport.load_server_metadata()
            jwks_cache["keys"] = requests.get(metadata["jwks_uri"], timeout=10).json()
            jwks_cache["at"] = time.time()
        return KeySet.import_key_set(jwks_cache["keys"])

    def current() -> dict | None:
        return store.get(session.get("portal_session"))

    @app.route("/")
    def home():
        return render_template("home.html", data=current(), issuer=settings["ISSUER"])

    @app.route("/login")
    def login():
        return passport.authorize_redirect(
            settings["URL"] + "/callback", prompt=request.args.get("prompt")
        )

    @app.route("/callback")
    def callback():
        try:
            token = passport.authorize_access_token()
        except OAuthError as error:
            return render_template(
                "home.html",
                data=None,
                error=error.description or error.error,
                issuer=settings["ISSUER"],
            ), 400
        # The ID token proves the sign-in; the scopes' claims are userinfo's (OIDC Core §5.4).
        claims = dict(token["userinfo"])
        claims.update(call("GET", "userinfo_endpoint", token["access_token"]).json())
        data = {"token": dict(token), "claims": claims}
        session.clear()
        session["portal_session"] = store.create(data)
        return redirect(url_for("home"))

    @app.route("/refresh", methods=["POST"])
    def refresh():
        data = current()
        if data is None:
            return redirect(url_for("home"))
        response = call(
            "POST",
            "token_endpoint",
            data={
                "grant_type": "refresh_token",
                "refresh_token": data["token"].get("refresh_token", ""),
            },
            auth=(settings["CLIENT_ID"], settings["CLIENT_SECRET"]),
        )
        if response.status_code != 200:
            store.delete(session.pop("portal_session", None))
            return render_template(
                "home.html",
                data=None,
                issuer=settings["ISSUER"],
                error=response.json().get("error", "refresh failed"),
            ), 401
        data["token"].update(response.json())
        store.update(session["portal_session"], data)
        return redirect(url_for("home"))

    @app.route("/userinfo")
    def userinfo():
        data = current()
        if data is None:
            abort(401)
        response = call("GET", "userinfo_endpoint", data["token"]["access_token"])
        return response.json(), response.status_code

    @app.route("/logout", methods=["POST"])
    def logout():
        """RP-Initiated Logout: end the local session and ask Passport to end its own."""
        data = current()
        store.delete(session.pop("portal_session", None))
        metadata = passport.load_server_metadata()
        if data is None or "end_session_endpoint" not in metadata:
            return redirect(url_for("home"))
        params = {
            "id_token_hint": data["token"]["id_token"],
            "post_logout_redirect_uri": settings["URL"] + "/",
            "client_id": settings["CLIENT_ID"],
        }
        return redirect(metadata["end_session_endpoint"] + "?" + requests.compat.urlencode(params))

    @app.route("/backchannel-logout", methods=["POST"])
    def backchannel_logout():
        """OIDC Back-Channel Logout 1.0 §2.6: validate the logout token, then end the sessions."""
        claims = validate_logout_token(request.form.get("logout_token", ""))
        if claims is None:
            return {"error": "invalid_request"}, 400
        store.end_matching(sub=claims.get("sub"), sid=claims.get("sid"))
        response = app.response_class("", status=200)
        response.headers["Cache-Control"] = "no-store"
        return response

    def validate_logout_token(token: str) -> dict | None:
        if not token or len(token) > 8192:
            return None
        try:
            try:
                decoded = jwt.decode(token, jwks(), algorithms=["RS256", "ES256"])
            except JoseError:
                decoded = jwt.decode(token, jwks(refresh=True), algorithms=["RS256", "ES256"])
            claims = decoded.claims
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": settings["ISSUER"]},
                aud={"essential": True, "value": settings["CLIENT_ID"]},
                iat={"essential": True},
                exp={"essential": True},
                jti={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError):
            return None
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(
            events.get(BACKCHANNEL_LOGOUT_EVENT), dict
        ):
            return None
        if "nonce" in claims or not (claims.get("sub") or claims.get("sid")):
            return None
        if claims["jti"] in store.seen_logout_jtis:
            return claims  # a retry of a logout already done: answer 200 again
        store.seen_logout_jtis.add(claims["jti"])
        return claims

    return app
