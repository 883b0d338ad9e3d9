"""Signing in as the use case does it: a sign-in is remembered only when the person asks."""

from __future__ import annotations

from server.services import sessions

from ..domain.conftest import CONTEXT, person


def test_a_sign_in_is_not_remembered_unless_the_person_asks(app):
    assert not sessions.sign_in(person(), amr=["pwd"], context=CONTEXT).remember
    assert sessions.sign_in(person(), amr=["pwd"], remember=True, context=CONTEXT).remember
