"""The profile photo: the page that uploads and removes it (/account/photo), and the public
address portals and pages read it at (/photos/<name>.jpg, the `picture` claim)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..context import request_context
from ..domain.errors import PHOTO_MAX_MB, InvalidPhoto
from ..extensions import csrf, limiter
from ..services import profile
from .errors import at_fields, form_status, shown_on_page

# The photo page's body may be this large; every other form keeps MAX_CONTENT_LENGTH.
UPLOAD_LIMIT = (PHOTO_MAX_MB + 1) * 1024 * 1024
ACCEPTED = "image/jpeg,image/png,image/webp,image/gif"


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"), validators=[FileRequired(_l("Choose a photo."))])


class RemovePhotoForm(FlaskForm):
    pass


@csrf.exempt  # checked below, once this page's own body limit is set
@login_required
def photo():
    """Upload a photo; it becomes a square, cropped from the centre."""
    account = current_user.account
    if request.method == "POST":
        if (request.content_length or 0) > UPLOAD_LIMIT:
            # Said at the field, not on the bare "too large" page; the body is not read.
            form = PhotoForm(formdata=None)
            form.photo.errors = [InvalidPhoto("too_large").message()]
            return _page(form), 413
        request.max_content_length = UPLOAD_LIMIT
        csrf.protect()
    form = PhotoForm()
    if form.validate_on_submit():
        with shown_on_page(at_fields(form, {InvalidPhoto: "photo"})):
            profile.set_photo(account, form.photo.data.read(), context=request_context())
            flash(_("The photo has been saved."), "success")
            return redirect(url_for("account.index") + "#personal")
    return _page(form), *form_status()


def _page(form: PhotoForm) -> str:
    return render_template(
        "account/photo.html",
        form=form,
        remove_form=RemovePhotoForm(formdata=None),
        accepted=ACCEPTED,
        max_mb=PHOTO_MAX_MB,
    )


@login_required
def remove_photo():
    if RemovePhotoForm().validate_on_submit():
        profile.remove_photo(current_user.account, context=request_context())
        flash(_("The photo has been removed."), "success")
    return redirect(url_for("account.index") + "#personal")


def add_routes(bp: Blueprint) -> None:
    """Attach /account/photo and /account/photo/remove to the account blueprint."""
    bp.add_url_rule("/photo", view_func=photo, methods=["GET", "POST"])
    bp.add_url_rule("/photo/remove", view_func=remove_photo, methods=["POST"])


photos_bp = Blueprint("photos", __name__, url_prefix="/photos")


@photos_bp.route("/<photo_id>.jpg")
@limiter.exempt
def served(photo_id: str):
    """A photo by its random name. A name never shows another photo, so browsers and
    portals may keep it for a year; a replaced or removed photo answers 404."""
    found = profile.photo(photo_id)
    if found is None:
        abort(404)
    response = Response(found.content, mimetype=found.media_type)
    response.set_etag(found.id)
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    # Portals show it on their own pages.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)
