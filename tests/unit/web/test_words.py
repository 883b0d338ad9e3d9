"""The activity and sessions pages say in words what the records keep as codes: every kind
of event Passport can record, and every sign-in method, in English and in Russian."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from server.domain import audit
from server.models import AuditEvent
from server.web.words import EVENT_WORDS, event_words, sign_in_words


def in_language(app, language: str, say):
    with app.test_request_context("/account/activity"), force_locale(language):
        return say()


def test_every_event_kind_the_code_records_has_words_in_english_and_russian(app):
    for kind in sorted(audit.KINDS):
        event = AuditEvent(kind=kind, details={})
        english = in_language(app, "en", lambda e=event: event_words(e))
        russian = in_language(app, "ru", lambda e=event: event_words(e))
        assert kind in EVENT_WORDS, f"{kind!r} has no words on the activity page"
        assert kind not in english and kind not in russian, kind
        assert russian != english, f"{kind!r}: {english!r} has no Russian translation"


def test_an_event_of_a_kind_no_longer_recorded_is_not_shown_as_its_code(app):
    event = AuditEvent(kind="kind_of_an_older_release", details={})
    assert in_language(app, "en", lambda: event_words(event)) == "Other change"


@pytest.mark.parametrize(
    ("details", "english", "russian"),
    [
        (
            {"reason": "code_reused"},
            "its sign-in code was used twice",
            "код входа использован дважды",
        ),
        (
            {"reason": "refresh_token_reused"},
            "its token was used twice",
            "токен использован дважды",
        ),
    ],
)
def test_a_revoked_grant_says_why(app, details, english, russian):
    event = AuditEvent(kind="grant_revoked", details=details)
    assert english in in_language(app, "en", lambda: event_words(event))
    assert russian in in_language(app, "ru", lambda: event_words(event))


@pytest.mark.parametrize(
    ("amr", "english", "russian"),
    [
        (["pwd"], "Password", "Пароль"),
        (["pwd", "otp", "mfa"], "Password and one-time code", "Пароль и одноразовый код"),
        (["pwd", "kba", "mfa"], "Password and recovery code", "Пароль и резервный код"),
        (["fed"], "Social network", "Социальная сеть"),
        (
            ["fed", "otp", "mfa"],
            "Social network and one-time code",
            "Социальная сеть и одноразовый код",
        ),
        (["mfa"], "Two-factor authentication", "Двухфакторная аутентификация"),
        (["hwk"], "Another method", "Другой способ"),
    ],
)
def test_sign_in_methods_in_words(app, amr, english, russian):
    assert in_language(app, "en", lambda: sign_in_words(amr)) == english
    assert in_language(app, "ru", lambda: sign_in_words(amr)) == russian


def test_a_login_event_says_how(app):
    event = AuditEvent(kind="login", details={"amr": ["pwd", "otp", "mfa"], "new_device": True})
    assert in_language(app, "en", lambda: event_words(event)) == (
        "Signed in: password and one-time code"
    )
    assert in_language(app, "ru", lambda: event_words(event)) == "Вход: пароль и одноразовый код"
