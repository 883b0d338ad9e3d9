"""Device authorizations (RFC 8628) as records, on SQLite and PostgreSQL: the user code's
form, and the three conditional UPDATEs that decide between requests at once — of two
answers one counts, of two polls within the interval one passes, of two redemptions one
issues tokens."""

from __future__ import annotations

from functools import partial

import pytest

from server import clock
from server.domain import device_authorizations as devices
from server.extensions import db
from server.models import DeviceAuthorization
from server.security import random_token, sha256_hex

from ..conftest import at_once, within
from .conftest import person, portal


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def asked(app) -> tuple[DeviceAuthorization, str, str]:
    device_code, user_code = devices.start(portal().id, "openid")
    db.session.commit()
    return devices.by_device_code(device_code), device_code, user_code


SIGN_IN = {"auth_time": 1, "amr": ["pwd"], "acr": None}


def test_user_codes_are_read_as_people_type_them():
    code = devices.new_user_code()
    assert len(code) == 9 and code[4] == "-"
    assert devices.normal_user_code(code.lower().replace("-", " ")) == code.replace("-", "")
    for typed in ("BCDF-GHJ", "BCDF-GHJKL", "BCDF-GHJ0", "AEIO-UBCD", None, 7, "B" * 40):
        assert devices.normal_user_code(typed) is None


def test_of_two_answers_at_once_one_counts(app):
    request, _device_code, user_code = asked(app)
    me = person()
    stale = [devices.pending(user_code) for _ in range(2)]
    answers = [
        partial(devices.decide, stale[0], account_id=me.id, approved=True, sign_in=SIGN_IN),
        partial(devices.decide, stale[1], account_id=me.id, approved=False, sign_in=SIGN_IN),
    ]
    results = at_once(app, *(partial(_committed, a) for a in answers))
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert devices.pending(user_code) is None


def test_an_expired_request_takes_no_answer(app):
    request, _device_code, user_code = asked(app)
    clock.travel(devices.LIFETIME + 1)
    assert devices.pending(user_code) is None
    assert not devices.decide(request, account_id=person().id, approved=True, sign_in=SIGN_IN)


def test_of_two_polls_within_the_interval_one_passes(app):
    request, device_code, _user_code = asked(app)
    stale = [devices.by_device_code(device_code) for _ in range(2)]
    results = at_once(app, *(partial(_committed, partial(devices.claim_poll, r)) for r in stale))
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert devices.by_device_code(device_code).interval == devices.INTERVAL + devices.SLOW_DOWN_STEP


def test_of_two_redemptions_at_once_one_issues_tokens(app):
    request, device_code, user_code = asked(app)
    assert devices.decide(request, account_id=person().id, approved=True, sign_in=SIGN_IN)
    db.session.commit()
    stale = [devices.by_device_code(device_code) for _ in range(2)]
    grants = [random_token(18), random_token(18)]
    spends = [partial(devices.spend, r, g) for r, g in zip(stale, grants, strict=True)]
    results = at_once(app, *(partial(_committed, s) for s in spends))
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert devices.by_device_code(device_code).grant_id in grants


def test_a_request_not_approved_is_not_spent(app):
    request, _device_code, _user_code = asked(app)
    assert not devices.spend(request, random_token(18))


def test_only_the_hash_of_either_code_is_kept(app):
    request, device_code, user_code = asked(app)
    assert request.device_code_hash == sha256_hex(device_code)
    assert request.user_code_hash == sha256_hex(user_code.replace("-", ""))
    assert devices.by_device_code("x" * 42) is None and devices.by_device_code(None) is None


def _committed(call):
    result = call()
    db.session.commit()
    return result
