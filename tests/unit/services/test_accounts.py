"""Creating accounts, one owner per login identifier, and checking passwords."""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.domain.errors import (
    IdentifierTaken,
    InvalidCredentials,
    InvalidIdentifier,
    WeakPassword,
)
from server.extensions import db
from server.models import Account, AuditEvent
from server.services.accounts import authenticate, create_account, find_by_login

PASSWORD = "correct horse battery"


def unique_email(domain: str = "example.org") -> str:
    return f"person-{secrets.token_hex(4)}@{domain}"


def unique_phone() -> str:
    return "+7912" + "".join(secrets.choice("0123456789") for _ in range(7))


def national(phone: str) -> str:
    """+79123456789 as 8 (912) 345-67-89."""
    digits = phone[2:]
    return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def count_accounts(**where) -> int:
    query = select(func.count()).select_from(Account)
    for name, value in where.items():
        query = query.where(getattr(Account, name) == value)
    return db.session.execute(query).scalar_one()


def test_account_with_email(app):
    local = f"Person.{secrets.token_hex(4)}"
    account = create_account(email=f"{local}@Example.ORG", password=PASSWORD)
    assert account.email == f"{local.lower()}@example.org"
    assert account.phone is None
    assert not account.email_verified
    assert account.credential_epoch == 0
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_account_with_phone_in_national_notation(app):
    phone = unique_phone()
    account = create_account(phone=national(phone), password=PASSWORD)
    assert account.phone == phone and account.email is None


def test_account_with_idn_email(app):
    account = create_account(email=unique_email("ПРИМЕР.РФ"), password=PASSWORD)
    assert account.email.endswith("@пример.рф")


def test_sub_is_random_and_public(app):
    first = create_account(email=unique_email(), password=PASSWORD)
    second = create_account(email=unique_email(), password=PASSWORD)
    assert first.sub != second.sub
    assert len(first.sub) >= 21  # 16 random bytes, URL-safe
    assert str(first.id) not in (first.sub, second.sub)


def test_a_login_is_needed(app):
    with pytest.raises(InvalidIdentifier):
        create_account(password=PASSWORD)
    with pytest.raises(InvalidIdentifier):
        create_account(email="not an address", password=PASSWORD)
    with pytest.raises(InvalidIdentifier):
        create_account(phone="garbage", password=PASSWORD)


def test_weak_password_creates_nothing(app):
    email = unique_email()
    with pytest.raises(WeakPassword):
        create_account(email=email, password="short")
    with pytest.raises(WeakPassword):
        create_account(email=email, password=email.upper())
    assert count_accounts(email=email) == 0


@pytest.mark.parametrize(
    "again",
    [
        lambda email: email,
        lambda email: email.upper(),
        lambda email: "  " + email.title() + " ",
    ],
)
def test_email_taken_in_any_case(app, again):
    email = unique_email()
    create_account(email=email, password=PASSWORD)
    with pytest.raises(IdentifierTaken) as error:
        create_account(email=again(email), password=PASSWORD)
    assert error.value.kind == "email"
    assert count_accounts(email=email) == 1
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert error.value.message() == "A user with this e-mail already exists"


def test_idn_email_taken_in_its_ascii_form(app):
    local = "person-" + secrets.token_hex(4)
    create_account(email=f"{local}@пример.рф", password=PASSWORD)
    with pytest.raises(IdentifierTaken):
        create_account(email=f"{local}@xn--e1afmkfd.xn--p1ai", password=PASSWORD)


def test_phone_taken_in_any_notation(app):
    phone = unique_phone()
    create_account(phone=phone, password=PASSWORD)
    for notation in (national(phone), "+7 " + phone[2:], national(phone).replace(" ", "")):
        with pytest.raises(IdentifierTaken) as error:
            create_account(phone=notation, password=PASSWORD)
        assert error.value.kind == "phone"
    assert count_accounts(phone=phone) == 1


def test_email_of_one_account_and_phone_of_another(app):
    email, phone = unique_email(), unique_phone()
    create_account(email=email, password=PASSWORD)
    create_account(phone=phone, password=PASSWORD)
    with pytest.raises(IdentifierTaken):
        create_account(email=unique_email(), phone=phone, password=PASSWORD)
    with pytest.raises(IdentifierTaken):
        create_account(email=email, phone=unique_phone(), password=PASSWORD)


@pytest.mark.parametrize("column", ["email", "phone", "sub"])
def test_database_refuses_duplicates_without_the_check(app, column):
    """Rows inserted directly, skipping the service's check: the constraint still holds."""
    value = {"email": unique_email(), "phone": unique_phone(), "sub": secrets.token_hex(8)}[column]

    def row() -> Account:
        fields = {"sub": secrets.token_hex(8), "email": unique_email(), column: value}
        return Account(**fields)

    db.session.add(row())
    db.session.commit()
    db.session.add(row())
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count_accounts(**{column: value}) == 1


def test_concurrent_sign_ups_with_one_email(app):
    """The check before the insert races; the constraint decides and the loser is told why."""
    email = unique_email()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def sign_up():
        with app.app_context():
            barrier.wait()
            try:
                create_account(email=email, password=PASSWORD)
                outcomes.append("created")
            except IdentifierTaken:
                outcomes.append("taken")
            except Exception as error:  # noqa: BLE001 - any other outcome fails the test
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up) for _ in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["created"] + ["taken"] * (barrier.parties - 1)
    assert count_accounts(email=email) == 1


def test_sign_in_by_email_in_any_case(app):
    email = unique_email()
    account = create_account(email=email, password=PASSWORD)
    assert authenticate(email, PASSWORD).id == account.id
    assert authenticate(email.upper(), PASSWORD).id == account.id
    assert authenticate(f"  {email}  ", PASSWORD).id == account.id


def test_sign_in_by_phone_in_any_notation(app):
    phone = unique_phone()
    account = create_account(phone=phone, password=PASSWORD)
    digits = phone[2:]
    for notation in (
        phone,
        f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        "8" + digits,
        f"8 {digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}",
    ):
        assert authenticate(notation, PASSWORD).id == account.id, notation
    assert find_by_login(national(phone)).id == account.id


@pytest.mark.parametrize(
    "login", ["nobody-{}@example.org", "+7 999 {} 00", "not a login {}", "", "@{}"]
)
def test_unknown_login_and_wrong_password_are_one_error(app, login):
    email = unique_email()
    create_account(email=email, password=PASSWORD)
    with pytest.raises(InvalidCredentials) as wrong:
        authenticate(email, PASSWORD + "!")
    with pytest.raises(InvalidCredentials) as unknown:
        authenticate(login.format(secrets.token_hex(2)), PASSWORD)
    with app.test_request_context():
        assert wrong.value.message() == unknown.value.message() == "Wrong login or password."


def test_account_without_password_cannot_sign_in_with_one(app):
    email = unique_email()
    create_account(email=email, password=None)
    for password in ("", PASSWORD, "None"):
        with pytest.raises(InvalidCredentials):
            authenticate(email, password)


def test_wrong_password_is_audited_on_the_account(app):
    email = unique_email()
    account = create_account(email=email, password=PASSWORD)
    with pytest.raises(InvalidCredentials):
        authenticate(email, "not the password")
    kinds = db.session.execute(
        select(AuditEvent.kind).where(AuditEvent.account_id == account.id)
    ).scalars()
    assert "login_failed" in list(kinds)


def test_hash_is_upgraded_at_sign_in_when_parameters_change(app_factory):
    old = app_factory(ARGON2_MEMORY_COST=8192, ARGON2_TIME_COST=1)
    with old.app_context():
        account_id = create_account(email="person@example.org", password=PASSWORD).id
        old_hash = db.session.get(Account, account_id).password_hash
    assert "$m=8192,t=1,p=1$" in old_hash

    new = app_factory(ARGON2_MEMORY_COST=9216, ARGON2_TIME_COST=2)
    with new.app_context():
        # A failed sign-in changes nothing.
        with pytest.raises(InvalidCredentials):
            authenticate("person@example.org", "not the password")
        assert db.session.get(Account, account_id).password_hash == old_hash

        authenticate("Person@Example.org", PASSWORD)
        db.session.expire_all()
        account = db.session.get(Account, account_id)
        assert account.password_hash.startswith("$argon2id$v=19$m=9216,t=2,p=1$")
        # Upgrading the hash is not a credential change: nothing the old hash opened ends.
        assert account.credential_epoch == 0
        upgraded = account.password_hash
        # The new hash works, and is not rewritten again.
        authenticate("person@example.org", PASSWORD)
        db.session.expire_all()
        assert db.session.get(Account, account_id).password_hash == upgraded
