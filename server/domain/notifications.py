"""Mail and SMS to the person, in their language, through the outbox (invariant 7).

Messages are rendered when queued (so they use the person's language of that moment)
and sealed with Fernet before they are stored: they carry confirmation links and codes,
which must not sit in the database in the clear (invariant 8). After delivery the sealed
body is dropped and only the template name stays.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, render_template
from flask_babel import force_locale

from ..models import OutboxMessage
from . import outbox

MAIL = "mail"
SMS = "sms"


def send_mail(
    to: str, template: str, *, locale: str | None, give_up_at: datetime | None = None, **context
) -> OutboxMessage:
    """Queue an e-mail from templates/mail/{template}.txt (first line "Subject: …") and
    .html, in `locale`; tried until `give_up_at` at the latest (outbox.enqueue). No commit:
    it joins the caller's transaction."""
    locale, sealed = render("email", template, locale=locale, **context)
    payload = {"template": template, "locale": locale, "sealed": sealed}
    return outbox.enqueue(MAIL, to, payload, give_up_at=give_up_at)


def send_sms(
    to: str, template: str, *, locale: str | None, give_up_at: datetime | None = None, **context
) -> OutboxMessage:
    """Queue an SMS from templates/sms/{template}.txt, in `locale`. No commit."""
    locale, sealed = render("phone", template, locale=locale, **context)
    payload = {"template": template, "locale": locale, "sealed": sealed}
    return outbox.enqueue(SMS, to, payload, give_up_at=give_up_at)


def render(channel: str, template: str, /, *, locale: str | None, **context) -> tuple[str, str]:
    """A message by e-mail ("email") or SMS ("phone"), rendered in `locale` and sealed;
    returns (the locale used, the sealed content). Queues nothing. The first two are
    positional-only: a template's context may well hold a `kind` or a `template` of its own."""
    locale = _locale(locale)
    with force_locale(locale):
        if channel == "phone":
            text = " ".join(render_template(f"sms/{template}.txt", **context).split())
            return locale, seal({"text": text})
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    first, _, body = text.lstrip().partition("\n")
    subject = first.removeprefix("Subject:").strip()
    content = {"subject": subject, "text": body.strip() + "\n", "html": html, "locale": locale}
    return locale, seal(content)


def seal(content: dict) -> str:
    return _fernet().encrypt(json.dumps(content).encode()).decode()


def unseal(sealed: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken as error:
        raise ValueError("the sealed message cannot be opened with this key") from error


def _fernet() -> Fernet:
    secret = current_app.config.get("OUTBOX_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"passport outbox").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _locale(locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else languages[0]


def notify(account, template: str, **context) -> None:
    """Tell the person: by mail when the account has an e-mail, else by SMS. No commit."""
    if account.email:
        send_mail(account.email, template, locale=account.locale, **context)
    elif account.phone:
        send_sms(account.phone, template, locale=account.locale, **context)
