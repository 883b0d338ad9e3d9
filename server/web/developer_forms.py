"""Forms of the developer console."""

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.client_metadata import ALGORITHMS, DEVICE_CODE_GRANT_TYPE, SCOPES_SUPPORTED

CLIENT_TYPES = [
    SelectChoice("web", _l("Web application with a server (confidential: has a secret)")),
    SelectChoice("spa", _l("Single-page application in the browser (public: PKCE, no secret)")),
    SelectChoice("native", _l("Native or mobile app (public: PKCE, no secret)")),
]


# How a web application proves itself at the token endpoint (OIDC Core §9).
AUTH_METHODS = [
    SelectChoice("client_secret_basic", _l("Secret in HTTP Basic (client_secret_basic)")),
    SelectChoice("client_secret_post", _l("Secret in the request body (client_secret_post)")),
    SelectChoice("client_secret_jwt", _l("JWT signed with the secret (client_secret_jwt)")),
    SelectChoice("private_key_jwt", _l("JWT signed with your own key (private_key_jwt)")),
]
URL_FIELDS = (
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "jwks_uri",
    "backchannel_logout_uri",
    "security_events_endpoint",
)


def json_object(form, field) -> None:
    """The public keys as a JWK Set in JSON; what the keys hold is the service's to check."""
    if field.data and field.data.strip():
        try:
            value = json.loads(field.data)
        except ValueError:
            raise ValidationError(_l('Enter the keys as JSON: a JWK Set {"keys": […]}.')) from None
        if not isinstance(value, dict):
            raise ValidationError(_l('Enter the keys as JSON: a JWK Set {"keys": […]}.'))


def lines(text: str | None) -> list[str]:
    """One value per line (commas separate too, for contacts pasted from elsewhere)."""
    return [v.strip() for v in (text or "").replace(",", "\n").splitlines() if v.strip()]


def uri_lines(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").splitlines() if v.strip()]


class ClientForm(FlaskForm):
    client_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client_type = SelectField(_l("Type"), choices=CLIENT_TYPES, default="web")
    # Not a choice of single-page or native apps: their value is ignored, so not checked here
    # (the policy refuses what it does not know).
    token_endpoint_auth_method = SelectField(
        _l("How the application authenticates"),
        choices=AUTH_METHODS,
        default="client_secret_basic",
        validate_choice=False,
    )
    jwks_uri = StringField(
        _l("URL of your public keys (jwks_uri)"), validators=[Optional(), Length(max=2000)]
    )
    jwks = TextAreaField(
        _l("Or the public keys themselves (JWK Set)"),
        validators=[Optional(), Length(max=60000), json_object],
    )
    logo_uri = StringField(_l("Logo URL"), validators=[Optional(), Length(max=2000)])
    client_uri = StringField(_l("Home page"), validators=[Optional(), Length(max=2000)])
    policy_uri = StringField(_l("Privacy policy"), validators=[Optional(), Length(max=2000)])
    tos_uri = StringField(_l("Terms of service"), validators=[Optional(), Length(max=2000)])
    redirect_uris = TextAreaField(
        _l("Redirect URIs (one per line)"), validators=[DataRequired(), Length(max=20000)]
    )
    post_logout_redirect_uris = TextAreaField(
        _l("Post-logout redirect URIs (one per line)"), validators=[Length(max=20000)]
    )
    allowed_cors_origins = TextAreaField(
        _l("Web origins whose pages call Passport (one per line)"),
        validators=[Length(max=20000)],
    )
    backchannel_logout_uri = StringField(
        _l("Back-channel logout URI"), validators=[Optional(), Length(max=2000)]
    )
    security_events_endpoint = StringField(
        _l("Security events endpoint"), validators=[Optional(), Length(max=2000)]
    )
    scope = SelectMultipleField(
        _l("Allowed scopes"),
        choices=[SelectChoice(s, s) for s in SCOPES_SUPPORTED],
        default=["openid", "email", "profile"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    id_token_signed_response_alg = SelectField(
        _l("ID token signing algorithm"),
        choices=[SelectChoice(a, a) for a in ALGORITHMS],
        default="RS256",
    )
    require_mfa = BooleanField(_l("Require two-factor authentication of everyone who signs in"))
    require_pushed_authorization_requests = BooleanField(
        _l("Accept only pushed authorization requests (PAR)")
    )
    dpop_bound_access_tokens = BooleanField(_l("Issue only DPoP-bound tokens"))
    fapi2_security_profile = BooleanField(_l("Hold to the FAPI 2.0 Security Profile"))
    device_sign_in = BooleanField(_l("Signs in on devices too (a TV, a command-line tool)"))
    contacts = TextAreaField(_l("Contacts (e-mails, one per line)"), validators=[Length(max=4000)])
    first_party = BooleanField(_l("First-party portal (no consent screen)"))
    # A random name for this filling-in of the form, so that sending it twice (a reload of
    # the page that showed the secret) does not register a second client.
    attempt = HiddenField()

    def metadata(self) -> dict:
        """RFC 7591 metadata from the form; validation is the service's."""
        kind = self.client_type.data
        data = {
            "client_name": (self.client_name.data or "").strip(),
            "application_type": "native" if kind == "native" else "web",
            "token_endpoint_auth_method": (
                (self.token_endpoint_auth_method.data or "client_secret_basic")
                if kind == "web"
                else "none"
            ),
            "grant_types": [
                "authorization_code",
                "refresh_token",
                *([DEVICE_CODE_GRANT_TYPE] if self.device_sign_in.data else []),
            ],
            "response_types": ["code"],
            "redirect_uris": uri_lines(self.redirect_uris.data),
            "post_logout_redirect_uris": uri_lines(self.post_logout_redirect_uris.data),
            "allowed_cors_origins": uri_lines(self.allowed_cors_origins.data),
            "scope": " ".join(self.scope.data or []),
            "id_token_signed_response_alg": self.id_token_signed_response_alg.data,
            "contacts": lines(self.contacts.data),
            "require_mfa": bool(self.require_mfa.data),
            "require_pushed_authorization_requests": bool(
                self.require_pushed_authorization_requests.data
            ),
            "dpop_bound_access_tokens": bool(self.dpop_bound_access_tokens.data),
            "fapi2_security_profile": bool(self.fapi2_security_profile.data),
        }
        for name in URL_FIELDS:
            data[name] = (getattr(self, name).data or "").strip()
        # Empty, they say the keys are not given here (an edit that empties one removes it).
        data["jwks"] = json.loads(self.jwks.data) if (self.jwks.data or "").strip() else None
        data["backchannel_logout_session_required"] = bool(data["backchannel_logout_uri"])
        return data

    def fill_from(self, client) -> None:
        meta = client.client_metadata or {}
        self.client_name.data = meta.get("client_name", "")
        self.client_type.data = client_type(client)
        self.token_endpoint_auth_method.data = client.token_endpoint_auth_method
        for name in URL_FIELDS:
            getattr(self, name).data = meta.get(name, "")
        self.jwks.data = json.dumps(meta["jwks"], indent=2) if meta.get("jwks") else ""
        self.redirect_uris.data = "\n".join(client.redirect_uris)
        self.post_logout_redirect_uris.data = "\n".join(client.post_logout_redirect_uris)
        self.allowed_cors_origins.data = "\n".join(meta.get("allowed_cors_origins") or [])
        self.scope.data = client.scope.split()
        self.id_token_signed_response_alg.data = client.id_token_signed_response_alg
        self.contacts.data = "\n".join(meta.get("contacts") or [])
        self.require_mfa.data = bool(meta.get("require_mfa"))
        self.require_pushed_authorization_requests.data = bool(
            meta.get("require_pushed_authorization_requests")
        )
        self.dpop_bound_access_tokens.data = bool(meta.get("dpop_bound_access_tokens"))
        self.fapi2_security_profile.data = bool(meta.get("fapi2_security_profile"))
        self.device_sign_in.data = DEVICE_CODE_GRANT_TYPE in client.grant_types
        self.first_party.data = client.first_party


def client_type_label(kind: str) -> str:
    return next(str(choice.label) for choice in CLIENT_TYPES if choice.value == kind)


def client_type(client) -> str:
    if not client.is_public:
        return "web"
    return "native" if client.client_metadata.get("application_type") == "native" else "spa"


class RotateSecretForm(FlaskForm):
    replacing = HiddenField()
    grace_hours = IntegerField(
        _l("Keep the previous secret working for (hours)"),
        validators=[InputRequired(), NumberRange(min=0)],
    )
