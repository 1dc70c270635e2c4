"""Public SMS subscription pages, the inbound STOP webhook, and the GDPR admin page.

Subscribers are visible to nobody but admins, and even admins see counts and one
number at a time (on request for export or deletion), never a list.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.models import audit
from content_calendar.accounts.policy import Permission
from content_calendar.catalogues import N_, Msg
from content_calendar.subscribers.models import SmsSubscriber
from content_calendar.subscribers.signup import (
    LANGUAGES,
    SubscriptionError,
    areas,
    confirm_code,
    counts,
    delete_subscriber,
    export,
    handle_inbound,
    normalise_phone,
    request_code,
)
from content_calendar.web.helpers import database, db_session, permission_required, settings
from content_calendar.web.i18n import gettext
from publisher.settings import load_settings

bp = Blueprint("sms_subscribe", __name__, url_prefix="/sms", template_folder="templates")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _problem(exc: SubscriptionError) -> dict[str, str]:
    """The error for its field, in the page's language."""
    return {exc.field: gettext(exc.message_id, **exc.params)}


def _page(step: str, status: int = 200, **context: object) -> ResponseReturnValue:
    return (
        render_template(
            "sms_subscribe.html", step=step, languages=LANGUAGES, areas=areas(), form=request.form, **context
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
def subscribe() -> ResponseReturnValue:
    if request.method == "GET":
        return _page("start")
    purpose = "unsubscribe" if request.form.get("purpose") == "unsubscribe" else "subscribe"
    if request.form.get("consent") != "1" and purpose == "subscribe":
        consent = gettext("Bitte stimmen Sie der Speicherung Ihrer Nummer zu")
        return _page("start", 422, errors={"consent": consent})
    try:
        # Commits its own short transactions: none is open while the SMS gateway works.
        request_code(
            database(),
            settings(),
            _secret(),
            request.form.get("phone", ""),
            purpose,
            request.form.get("language", "de"),
            request.form.get("area", ""),
        )
    except SubscriptionError as exc:
        return _page("start", exc.status, errors=_problem(exc))
    return _page("code", phone=normalise_phone(request.form.get("phone", "")), purpose=purpose)


@bp.post("/bestaetigen")
def confirm() -> ResponseReturnValue:
    session = db_session()
    phone = request.form.get("phone", "")
    try:
        outcome = confirm_code(session, _secret(), phone, request.form.get("code", ""))
    except SubscriptionError as exc:
        session.commit()  # count the failed try
        return _page("code", exc.status, phone=phone, errors=_problem(exc))
    session.commit()
    return _page(outcome)


@bp.route("/abmelden", methods=["GET"])
def unsubscribe() -> ResponseReturnValue:
    return _page("unsubscribe")


@bp.post("/eingang")
def inbound() -> ResponseReturnValue:
    """Replies from the SMS provider (configure this URL with ?token=…). STOP unsubscribes."""
    expected = load_settings().sms_inbound_token  # read per request: rotating it needs no restart
    if not expected:
        return jsonify(error="Eingang nicht eingerichtet (ERNSTFALL_SMS_INBOUND_TOKEN fehlt)"), 503
    if not hmac.compare_digest(request.args.get("token", ""), expected):
        return jsonify(error="Token ungültig"), 403
    data = request.form if request.form else (request.get_json(silent=True) or {})
    sender = next((str(data[k]) for k in ("From", "from", "sender", "msisdn") if data.get(k)), "")
    text = next((str(data[k]) for k in ("Body", "text", "message", "content") if data.get(k)), "")
    if not sender:
        return jsonify(error="Absender fehlt (From/from/sender/msisdn)"), 422
    session = db_session()
    removed = handle_inbound(session, sender, text)
    session.commit()
    return jsonify(unsubscribed=removed), 200


@bp.route("/verwaltung", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SUBSCRIBERS)
def admin() -> ResponseReturnValue:
    """GDPR requests: export or delete one subscriber by number."""
    session = db_session()
    found = None
    error: str | None = None
    if request.method == "POST":
        try:
            phone = normalise_phone(request.form.get("phone", ""))
        except SubscriptionError as exc:
            error = Msg(exc.message_id, **exc.params)  # shown with |localize
        else:
            found = session.scalar(select(SmsSubscriber).where(SmsSubscriber.phone == phone))
            if found is None:
                error = N_("Diese Nummer ist nicht gespeichert.")
            elif request.form.get("action") == "export":
                audit(session, "subscriber.exported", current_user.id, found, how="gdpr")  # no number
                session.commit()
                return Response(
                    jsonify(export(found)).get_data(),
                    mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="sms-abo-auskunft.json"'},
                )
            elif request.form.get("action") == "delete":
                delete_subscriber(session, found, "gdpr")
                session.commit()
                found = None
                error = N_("Gelöscht.")
            else:
                abort(400)
    status = 422 if error and error != "Gelöscht." else 200
    return render_template("sms_admin.html", counts=counts(session), found=found, error=error), status
