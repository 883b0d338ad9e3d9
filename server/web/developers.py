"""The developer console: a developer's OAuth clients, and the changes made to them."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import request_context
from ..domain.errors import (
    ClientHasNoSecret,
    GracePeriodTooLong,
    InvalidClientMetadata,
    NotADeveloper,
    OperatorsOnly,
    PassportError,
)
from ..services import developers
from .account_forms import ConfirmForm
from .developer_forms import ClientForm, RotateSecretForm, client_type, client_type_label
from .errors import form_status, shown_on_page

bp = Blueprint("developers", __name__, url_prefix="/developers")
REGISTERED = "registered_clients"


@bp.app_context_processor
def _console_access():
    # Templates are rendered outside requests too (mail from a service or the worker).
    if not has_request_context() or not current_user.is_authenticated:
        return {"developer_console": False}
    return {"developer_console": developers.is_developer(current_user.account)}


@bp.before_request
@login_required
def _developers_only():
    if not developers.is_developer(current_user.account):
        message = NotADeveloper().message()
        return render_template("errors/forbidden.html", title=_("Developers"), message=message), 403
    return None


def _managed_client(client_id: str):
    """The client, if the signed-in developer manages it; 404 to anybody else."""
    client = developers.find_managed_client(current_user.account, client_id)
    if client is None:
        abort(404)
    return client


@bp.route("/clients")
def index():
    clients = developers.clients_of(current_user.account)
    return render_template("developers/clients.html", clients=clients)


@bp.route("/clients/new", methods=["GET", "POST"])
def new_client():
    form = ClientForm()
    if not form.attempt.data:
        form.attempt.data = secrets.token_urlsafe(12)
    done = session.get(REGISTERED, {}).get(form.attempt.data)
    if form.is_submitted() and done:
        flash(_("This client has been registered already."), "success")
        return redirect(url_for("developers.client_page", client_id=done))
    if form.validate_on_submit():
        with shown_on_page(lambda error: _show_error(form, error)):
            client, secret = developers.register_client(
                current_user.account,
                form.metadata(),
                first_party=form.first_party.data,
                context=request_context(),
            )
            _remember_registration(form.attempt.data, client.client_id)
            flash(_("The client has been registered."), "success")
            # The secret is in this response only: it is stored as a hash.
            return _client_page(client, secret=secret)
    return render_template("developers/client_form.html", form=form, client=None)


@bp.route("/clients/<client_id>")
def client_page(client_id: str):
    return _client_page(_managed_client(client_id))


@bp.route("/clients/<client_id>/edit", methods=["GET", "POST"])
def edit_client(client_id: str):
    client = _managed_client(client_id)
    form = ClientForm()
    if not form.is_submitted():
        form.fill_from(client)
    form.client_type.data = client_type(client)  # chosen at registration, fixed after
    if form.validate_on_submit():
        with shown_on_page(lambda error: _show_error(form, error)):
            developers.update_client(
                current_user.account,
                client,
                form.metadata(),
                first_party=form.first_party.data,
                context=request_context(),
            )
            flash(_("The client has been saved."), "success")
            return redirect(url_for("developers.client_page", client_id=client.client_id))
    return render_template(
        "developers/client_form.html",
        form=form,
        client=client,
        kind_label=client_type_label(client_type(client)),
    )


@bp.route("/clients/<client_id>/rotate", methods=["GET", "POST"])
def rotate_secret(client_id: str):
    """Asks first: the page says what rotating does and proposes a grace period."""
    client = _managed_client(client_id)
    form = RotateSecretForm()
    if not form.is_submitted():
        if not client.client_secret_hash:
            flash(ClientHasNoSecret().message(), "error")
            return redirect(url_for("developers.client_page", client_id=client.client_id))
        form.replacing.data = developers.secret_fingerprint(client)
        form.grace_hours.data = developers.default_grace_hours()
    elif form.validate_on_submit():
        with shown_on_page() as refused:
            secret = developers.rotate_secret(
                current_user.account,
                client,
                grace_seconds=form.grace_hours.data * 3600,
                replacing=form.replacing.data or "",
                context=request_context(),
            )
            flash(_("A new secret has been issued."), "success")
            return _client_page(client, secret=secret)
        if not isinstance(refused.error, GracePeriodTooLong):
            # Rotated already (a reload) or no secret to rotate: nothing to ask again.
            return redirect(url_for("developers.client_page", client_id=client.client_id))
    else:
        flash(_("Enter the grace period in whole hours (0 for none)."), "error")
    status, headers = form_status()
    page = render_template(
        "developers/rotate.html",
        client=client,
        form=form,
        grace_max_hours=current_app.config["CLIENT_SECRET_GRACE_MAX"] // 3600,
    )
    return page, status, headers


@bp.route("/clients/<client_id>/disable", methods=["GET", "POST"])
def disable_client(client_id: str):
    client = _managed_client(client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        developers.disable_client(current_user.account, client, context=request_context())
        flash(_("The client is disabled: it gets no tokens and its tokens are refused."), "success")
        return redirect(url_for("developers.client_page", client_id=client.client_id))
    return render_template("developers/disable.html", client=client, form=form)


@bp.route("/clients/<client_id>/enable", methods=["POST"])
def enable_client(client_id: str):
    client = _managed_client(client_id)
    if ConfirmForm().validate_on_submit():
        with shown_on_page():
            developers.enable_client(current_user.account, client, context=request_context())
            flash(_("The client is enabled again."), "success")
    return redirect(url_for("developers.client_page", client_id=client.client_id))


@bp.route("/clients/<client_id>/delete", methods=["GET", "POST"])
def delete_client(client_id: str):
    client = _managed_client(client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = client.client_name
        developers.delete_client(current_user.account, client, context=request_context())
        flash(_("The client %(name)s has been deleted.", name=name), "success")
        return redirect(url_for("developers.index"))
    return render_template("developers/delete.html", client=client, form=form)


def _remember_registration(attempt: str, client_id: str) -> None:
    """The last few registrations of this browser, by the attempt that made them."""
    done = dict(list(session.get(REGISTERED, {}).items())[-4:])
    done[attempt] = client_id
    session[REGISTERED] = done


def _client_page(client, *, secret: str | None = None):
    return render_template(
        "developers/client.html",
        client=client,
        secret=secret,
        kind=client_type(client),
        kind_label=client_type_label(client_type(client)),
        usage=developers.usage(client),
        discovery_url=current_app.config["ISSUER"] + "/.well-known/openid-configuration",
        confirm_form=ConfirmForm(),
    )


def _show_error(form: ClientForm, error: PassportError) -> None:
    """Put the message next to the field it is about, or above the form."""
    field = None
    if isinstance(error, InvalidClientMetadata):
        field = getattr(form, error.field or "", None)
    elif isinstance(error, OperatorsOnly):
        field = form.first_party
    if field is not None and field is not form.csrf_token:
        field.errors = [*field.errors, error.message()]
    else:
        flash(error.message(), "error")
