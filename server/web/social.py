"""Social networks: signing in with them, and the page that links and unlinks them."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from .. import clock, federation
from ..context import request_context
from ..domain import factors
from ..domain.errors import (
    CodeInvalid,
    SecondFactorRequired,
    UpstreamEmailHeld,
    UpstreamFailed,
    WrongPassword,
)
from ..extensions import csrf
from ..federation import flow
from ..federation.profile import UpstreamProfile
from ..services import federation as service
from ..services.owner import confirm_owner
from .account_forms import ConfirmForm, SocialForm
from .auth import after_first_factor, safe_next
from .errors import at_fields, form_status, shown_on_page

bp = Blueprint("social", __name__)

# How long a network waiting to be linked stays in the cookie while the person signs in.
PENDING_WINDOW = 600
FAILURE_STATUS = {"refused": 502, "unreachable": 502}


@bp.app_context_processor
def _reauthentication_networks():
    def reauthentication_networks() -> list[federation.Provider]:
        """The configured networks linked to the signed-in account that has no password."""
        if not current_user.is_authenticated or current_user.account.password_hash:
            return []
        linked = service.linked_identities(current_user.account)
        return [p for p in federation.providers() if p.name in linked]

    return {"reauthentication_networks": reauthentication_networks}


def _provider_or_404(name: str) -> federation.Provider:
    found = federation.provider(name)
    if found is None:
        abort(404)
    return found


@bp.route("/login/<provider>")
def start(provider):
    found = _provider_or_404(provider)
    intent = {"action": "sign_in", "next": safe_next(request.args.get("next"))}
    # A sign-in that must be fresh (a portal's prompt=login or max_age, a step-up) is asked
    # of the network as a fresh one too, not taken from the session the person has there.
    purpose = "reauthenticate" if session.get("fresh_second_step") else "sign_in"
    try:
        return flow.start(found, purpose=purpose, intent=intent)
    except UpstreamFailed as error:
        return _failed(found, error)


@bp.route("/login/<provider>/callback", methods=["GET", "POST"])
@csrf.exempt  # Apple posts here (form_post); the state in the session protects the flow
def callback(provider):
    found = _provider_or_404(provider)
    if (
        request.method == "POST"
        and flow.pending_intent(found) is None
        and "relayed" not in request.form
    ):
        # A cross-site POST carries no SameSite=Lax cookie: post the answer again from here.
        return render_template("auth/social_relay.html", fields=request.form.items(multi=True))
    try:
        profile, intent = flow.finish(found)
    except UpstreamFailed as error:
        return _failed(found, error)
    action = intent.get("action")
    if action == "link":
        response = _link(found, profile, intent)
    elif action == "reauthenticate":
        response = _reauthenticate(found, profile, intent)
    else:
        response = _sign_in(found, profile, intent)
    # The way back ends here. It may have begun with a form on the provider's pages (its
    # sign-in, its consent, our relay page), whose form-action names at most this server,
    # as Passport's own does: the portal a sign-in goes on to is reached by a new navigation.
    return handed_off(response)


def handed_off(response):
    """A redirect that may lead on to another site, answered instead with a page that
    moves on by itself.

    Chromium checks every redirect that follows a form against the form-action of the
    form's page: ours (and a provider's own hops, say to its sign-in on another host) or
    the provider's (the portal a sign-in goes on to). A page that refreshes to the address
    starts a new navigation, which no form-action governs, and takes its own place in the
    history. Other answers pass unchanged."""
    if response.status_code not in (301, 302, 303) or not response.location:
        return response
    return render_template("auth/continue.html", url=response.location)


def _sign_in(found, profile: UpstreamProfile, intent: dict):
    try:
        account, created = service.sign_in_with_upstream(
            profile, locale=session.get("ui_locales"), context=request_context()
        )
    except UpstreamEmailHeld as error:
        session["pending_upstream"] = {
            "profile": profile.to_dict(),
            "email": error.email,
            "at": clock.timestamp(),
        }
        return redirect(url_for("social.email_held"))
    response = after_first_factor(
        account, amr=["fed"], remember=False, next_url=intent.get("next"), upstream=found.name
    )
    if created:  # after signing in, which starts the cookie afresh
        flash(_("Welcome! Your Passport is ready."), "success")
    return response


def _owner_session(intent: dict):
    """The flow was started by the person signed in here, on this very account."""
    return current_user.is_authenticated and current_user.account_id == intent.get("account_id")


def _link(found, profile: UpstreamProfile, intent: dict):
    if not _owner_session(intent):
        return _failed(found, UpstreamFailed("state"))
    with shown_on_page():
        service.link_social(current_user.account, profile, context=request_context())
        flash(_("%(network)s is linked to your Passport.", network=found.title), "success")
    return redirect(url_for("social.settings"))


def _reauthenticate(found, profile: UpstreamProfile, intent: dict):
    if not _owner_session(intent):
        return _failed(found, UpstreamFailed("state"))
    with shown_on_page() as refused:
        service.check_reauthentication(current_user.account, profile)
    if refused:
        return redirect(url_for("social.settings"))
    return after_first_factor(
        current_user.account,
        amr=["fed"],
        remember=current_user.remember,
        next_url=intent.get("next"),
        upstream=found.name,
    )


def _failed(found, error: UpstreamFailed):
    again = error.intent.get("action") in ("link", "reauthenticate")
    return render_template(
        "auth/social_error.html",
        message=error.message(),
        network=found.title,
        back=url_for("social.settings") if again else url_for("auth.login"),
    ), FAILURE_STATUS.get(error.kind, 400)


def _pending() -> dict | None:
    pending = session.get("pending_upstream")
    if not pending or clock.timestamp() - pending.get("at", 0) > PENDING_WINDOW:
        session.pop("pending_upstream", None)
        return None
    return pending


@bp.route("/login/social/existing", methods=["GET", "POST"])
def email_held():
    """The upstream account's e-mail belongs to a Passport: sign in to it to link, or go back."""
    pending = _pending()
    form = ConfirmForm()
    if pending is None or form.validate_on_submit():  # "Go back" forgets the network
        session.pop("pending_upstream", None)
        return redirect(url_for("auth.login"))
    profile = UpstreamProfile.from_dict(pending["profile"])
    sign_in_url = url_for(
        "auth.login", next=url_for("social.link_pending"), login_hint=pending["email"], fresh="1"
    )
    return render_template(
        "auth/social_email_held.html",
        form=form,
        email=pending["email"],
        network=federation.title_of(profile.provider),
        sign_in_url=sign_in_url,
    )


@bp.route("/login/social/link", methods=["GET", "POST"])
@login_required
def link_pending():
    """Back from signing in to the Passport: link the network that was waiting."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("social.settings"))
    if not service.may_link_held_network(current_user, held_since=pending["at"]):
        return redirect(url_for("social.email_held"))
    profile = UpstreamProfile.from_dict(pending["profile"])
    form = ConfirmForm()
    if form.validate_on_submit():
        session.pop("pending_upstream", None)
        with shown_on_page():
            service.link_social(current_user.account, profile, context=request_context())
            title = federation.title_of(profile.provider)
            flash(_("%(network)s is linked to your Passport.", network=title), "success")
        return redirect(url_for("social.settings"))
    return render_template(
        "auth/social_link_pending.html",
        form=form,
        profile=profile,
        network=federation.title_of(profile.provider),
        account=current_user.account,
    )


@bp.route("/account/social")
@login_required
def settings():
    account = current_user.account
    linked = service.linked_identities(account)
    offered = [p.name for p in federation.providers()]
    return render_template(
        "account/social.html",
        account=account,
        linked=linked,
        networks=offered + [name for name in linked if name not in offered],
        two_factor=factors.is_enabled(account),
        form=SocialForm(),
    )


def _switch_page(provider: str, form: SocialForm):
    """The page that links or unlinks one network, for a browser without script (the
    settings page asks the same in a dialog) and to show a refused owner check at its
    field."""
    account = current_user.account
    return render_template(
        "account/social_switch.html",
        name=provider,
        identity=service.linked_identities(account).get(provider),
        form=form,
        account=account,
        two_factor=factors.is_enabled(account),
    )


def _owner_check_at_fields(form: SocialForm):
    return at_fields(
        form,
        {WrongPassword: "password", (CodeInvalid, SecondFactorRequired): "code"},
    )


@bp.route("/account/social/<provider>/link", methods=["GET", "POST"])
@login_required
def link(provider):
    found = _provider_or_404(provider)
    if provider in service.linked_identities(current_user.account):
        return redirect(url_for("social.settings"))
    form = SocialForm()
    if request.method == "GET":
        return _switch_page(provider, form)
    if form.validate_on_submit():
        with shown_on_page(_owner_check_at_fields(form)) as refused:
            confirm_owner(current_user.account, form.password.data, current_user, form.code.data)
            intent = {"action": "link", "account_id": current_user.account_id}
            try:
                return handed_off(flow.start(found, purpose="choose", intent=intent))
            except UpstreamFailed as error:
                return _failed(found, error)
        if refused:
            return _switch_page(provider, form), *form_status()
    return redirect(url_for("social.settings"))


@bp.route("/account/social/<provider>/unlink", methods=["GET", "POST"])
@login_required
def unlink(provider):
    """Any linked network can be unlinked, also one the operator no longer offers."""
    if provider not in service.linked_identities(current_user.account):
        return redirect(url_for("social.settings"))
    form = SocialForm()
    if request.method == "GET":
        return _switch_page(provider, form)
    if form.validate_on_submit():
        with shown_on_page(_owner_check_at_fields(form)) as refused:
            replacement = service.unlink_social(
                current_user.account,
                provider,
                form.password.data,
                login_session=current_user,
                code=form.code.data,
                context=request_context(),
            )
            if replacement is not None:  # the credential change re-issued this session
                login_user(replacement)
            title = federation.title_of(provider)
            flash(_("%(network)s is unlinked from your Passport.", network=title), "success")
        if refused and isinstance(
            refused.error, (WrongPassword, CodeInvalid, SecondFactorRequired)
        ):
            return _switch_page(provider, form), *form_status()
    return redirect(url_for("social.settings"))


@bp.route("/account/social/<provider>/confirm", methods=["POST"])
@login_required
def confirm(provider):
    """An account without a password confirms a sensitive change by signing in upstream again."""
    found = _provider_or_404(provider)
    if ConfirmForm().validate_on_submit():
        intent = {
            "action": "reauthenticate",
            "account_id": current_user.account_id,
            "next": safe_next(request.form.get("next") or url_for("social.settings")),
        }
        try:
            return handed_off(flow.start(found, purpose="reauthenticate", intent=intent))
        except UpstreamFailed as error:
            return _failed(found, error)
    return redirect(url_for("social.settings"))
