"""Sending e-mail over SMTP; in development, to the log and instance/mail/."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ..domain.notifications import unseal
from ..models import OutboxMessage
from .errors import PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)


def build_message(message: OutboxMessage) -> EmailMessage:
    content = unseal(message.payload["sealed"])
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = content["subject"]
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.target
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=message.jti[:16], domain="passport")
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(content["text"])
    email.add_alternative(content["html"], subtype="html")
    email["Content-Language"] = content[
        "locale"
    ]  # after set_content, which drops Content-* headers
    return email


def deliver(message: OutboxMessage) -> None:
    email = build_message(message)
    config = current_app.config
    if not config["SMTP_HOST"]:
        _write_locally(message, email)
        return
    security = config["SMTP_SECURITY"]
    try:
        if security == "tls":
            smtp = smtplib.SMTP_SSL(
                config["SMTP_HOST"],
                config["SMTP_PORT"],
                timeout=config["SMTP_TIMEOUT"],
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
            )
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        # RFC 5321 §4.2.1: only a 5yz reply refuses for good; a 4yz one (greylisting, a
        # full mailbox) asks to come back later.
        codes = [code for code, _reply in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"recipient refused: {error.recipients}") from error
        raise TemporaryFailure(f"recipient put off: {error.recipients}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


def _write_locally(message: OutboxMessage, email: EmailMessage) -> None:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id:06d}-{message.payload['template']}.eml"
    path.write_bytes(bytes(email))
    log.warning("mail to %s (%s) written to %s", message.target, email["Subject"], path)
