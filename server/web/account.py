"""The Passport pages of the signed-in person."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from ..context import request_context
from ..domain import audit, factors, login_sessions
from ..domain.client_metadata import shown_pages
from ..domain.destinations import destination
from ..services import federation, login_change, overview, portals, sessions
from . import formatting
from .account_address import language_form, time_zone_form
from .devices import describe
from .words import ACTIVITY_GROUPS, event_words, sign_in_words


class EndSessionForm(FlaskForm):
    session_id = HiddenField()


class EndAllSessionsForm(FlaskForm):
    include_current = BooleanField()


class RevokePortalForm(FlaskForm):
    # RFC 6749 A.1: a client_id is printable ASCII; anything else (a NUL) never reaches SQL.
    client_id = HiddenField(validators=[DataRequired(), Length(max=64), Regexp(r"[\x20-\x7e]+\Z")])


def _two_factor_state():
    if current_user.is_authenticated:
        return {"two_factor": factors.is_enabled(current_user.account)}
    return {"two_factor": False}


@login_required
def index():
    account = current_user.account
    return render_template(
        "account/index.html",
        account=account,
        pending_email=login_change.pending_change(account, "email"),
        pending_phone=login_change.pending_change(account, "phone"),
        linked_networks=list(federation.linked_identities(account).values()),
        language_form=language_form(account.locale or str(get_locale())),
        time_zone_form=time_zone_form(account.zoneinfo),
        overview=overview.account_overview(account),
    )


ACTIVITY_PAGE = 50


@login_required
def activity():
    """The activity, a page at a time (?page=2), of one group of events (?kind=sign-ins)."""
    group = request.args.get("kind")
    if group not in audit.GROUPS:
        group = None
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    events = audit.recent_events(
        current_user.account,
        ACTIVITY_PAGE + 1,  # one more, to know whether an older page exists
        offset=(page - 1) * ACTIVITY_PAGE,
        group=group,
    )
    rows = [
        {"event": e, "what": event_words(e), "device": describe(e.user_agent)}
        for e in events[:ACTIVITY_PAGE]
    ]
    return render_template(
        "account/activity.html",
        rows=rows,
        group=group,
        page=page,
        older=len(events) > ACTIVITY_PAGE,
        groups=ACTIVITY_GROUPS,
    )


@login_required
def sessions_page():
    rows = [
        {
            "session": s,
            "device": describe(s.user_agent),
            "methods": sign_in_words(s.amr or [], s.upstream_provider),
            "current": s.id == current_user.id,
        }
        for s in login_sessions.active_sessions(current_user.account)
        if login_sessions.is_alive(s)
    ]
    rows.sort(key=lambda row: not row["current"])  # this device first, the rest as they were
    return render_template(
        "account/sessions.html",
        rows=rows,
        end_form=EndSessionForm(),
        end_all_form=EndAllSessionsForm(),
    )


@login_required
def end_session():
    form = EndSessionForm()
    if form.validate_on_submit():
        ending_current = form.session_id.data == current_user.id
        if sessions.end_own_session(
            current_user.account, form.session_id.data, context=request_context()
        ):
            if ending_current:
                return _signed_out()
            flash(_("The session has been ended."), "success")
    return redirect(url_for("account.sessions_page"))


@login_required
def end_all_sessions():
    form = EndAllSessionsForm()
    if form.validate_on_submit():
        keep = None if form.include_current.data else current_user.id
        count = sessions.end_all_sessions(
            current_user.account, keep=keep, context=request_context()
        )
        if keep is None:
            return _signed_out()
        flash(_("Other sessions ended: %(count)d.", count=count), "success")
    return redirect(url_for("account.sessions_page"))


@login_required
def portals_page():
    rows = []
    for portal in portals.linked_portals(current_user.account):
        pages = shown_pages(portal.client.client_metadata or {})
        home_page = pages.get("client_uri")
        rows.append(
            {
                "portal": portal,
                "pages": pages,
                "home_page": home_page,
                "home_host": destination(home_page) if home_page else None,
                "access": [*portal.scopes, *(["offline_access"] if portal.offline else [])],
            }
        )
    return render_template("account/portals.html", rows=rows, form=RevokePortalForm())


@login_required
def revoke_portal():
    form = RevokePortalForm()
    if form.validate_on_submit() and portals.revoke_portal(
        current_user.account, form.client_id.data or "", context=request_context()
    ):
        flash(_("Access has been revoked."), "success")
    return redirect(url_for("account.portals_page"))


def _signed_out():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


def add_routes(bp: Blueprint) -> None:
    """Attach the Passport page, activity, sessions and portals to the account blueprint,
    and the two-factor state every account page's menu shows."""
    bp.context_processor(_two_factor_state)
    formatting.add_filters(bp)
    bp.add_url_rule("", view_func=index)
    bp.add_url_rule("/activity", view_func=activity)
    bp.add_url_rule("/sessions", view_func=sessions_page)
    bp.add_url_rule("/sessions/end", view_func=end_session, methods=["POST"])
    bp.add_url_rule("/sessions/end-all", view_func=end_all_sessions, methods=["POST"])
    bp.add_url_rule("/portals", view_func=portals_page)
    bp.add_url_rule("/portals/revoke", view_func=revoke_portal, methods=["POST"])
