"""The reply-block library: every block and its versions, editing (a new version), approval.

Like alert templates: saving adds a version that is not usable until a second person approved
it (the writer cannot); until then the previous approved version stays in use.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.policy import Permission
from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.placeholders import TYPE_LABELS, TYPES
from content_calendar.dialog import blocks
from content_calendar.dialog.blocks import BlockError, BlockSpec
from content_calendar.dialog.models import ReplyBlock
from content_calendar.web.crisis.template_admin import placeholders_from, placeholders_text
from content_calendar.web.dialog.common import user_names
from content_calendar.web.helpers import db_session, permission_required
from content_calendar.web.i18n import gettext, localize, ngettext, translated_labels

bp = Blueprint("dialog_blocks", __name__, url_prefix="/dialog/bausteine", template_folder="templates")
NOTE_MAX = 500


def _template_names() -> dict[str, str]:
    """Alert templates a block may be tied to: key -> name of the newest version."""
    names: dict[str, str] = {}
    for template in db_session().scalars(select(AlertTemplate).order_by(AlertTemplate.version)):
        names[template.key] = template.name
    return names


@bp.get("/")
@permission_required(Permission.ANSWER_CITIZENS, Permission.APPROVE_REPLY_BLOCKS)
def index() -> ResponseReturnValue:
    return render_template(
        "dialog_blocks.html", rows=blocks.library(db_session()), templates=_template_names()
    )


@bp.post("/mitgelieferte")
@permission_required(Permission.ANSWER_CITIZENS)
def load_shipped() -> ResponseReturnValue:
    added = blocks.load_shipped(db_session(), current_user.id)
    db_session().commit()
    flash(
        ngettext(
            "%(num)d mitgelieferter Baustein angelegt — er braucht noch eine Freigabe.",
            "%(num)d mitgelieferte Bausteine angelegt — sie brauchen noch eine Freigabe.",
            len(added),
        ),
        "info",
    )
    return redirect(url_for("dialog_blocks.index"), code=303)


def _detail(key: str, status: int = 200) -> ResponseReturnValue:
    session = db_session()
    items = blocks.versions(session, key)
    if not items:
        abort(404, gettext("Antwortbaustein „%(key)s“ nicht gefunden", key=key[:60]))
    return (
        render_template(
            "dialog_block_detail.html",
            versions=items,
            newest=items[0],
            names=user_names(session),
            templates=_template_names(),
            type_labels=translated_labels(TYPE_LABELS),
        ),
        status,
    )


@bp.get("/<key>")
@permission_required(Permission.ANSWER_CITIZENS, Permission.APPROVE_REPLY_BLOCKS)
def detail(key: str) -> ResponseReturnValue:
    return _detail(key)


def _form_values(key: str) -> dict[str, str]:
    form = request.form
    return {
        "key": key or form.get("key", "").strip(),
        "name": form.get("name", ""),
        "text": form.get("text", ""),
        "placeholders": form.get("placeholders", ""),
        "alert_template_key": form.get("alert_template_key", ""),
        "note": form.get("note", ""),
    }


def _spec_and_problems(values: dict[str, str]) -> tuple[BlockSpec, dict[str, str]]:
    placeholders, lines = placeholders_from(values["placeholders"])
    problems: dict[str, str] = {}
    if lines:
        problems["placeholders"] = "; ".join(localize(line) for line in lines)
    template_key = values["alert_template_key"]
    if template_key and template_key not in _template_names():
        problems["alert_template_key"] = gettext("Warnvorlage „%(key)s“ gibt es nicht", key=template_key[:60])
    if len(values["note"]) > NOTE_MAX:
        problems["note"] = gettext(
            "Änderungsnotiz: %(used)d von höchstens %(max)d Zeichen", used=len(values["note"]), max=NOTE_MAX
        )
    spec = BlockSpec(
        key=values["key"],
        name=values["name"],
        text=values["text"],
        placeholders=placeholders,
        alert_template_key=template_key or None,
    )
    for name, problem in blocks.validate_spec(spec).items():
        text = localize(problem)
        field_name = "placeholders" if name.startswith("placeholder.") else name
        problems[field_name] = f"{problems[field_name]}; {text}" if field_name in problems else text
    return spec, problems


@bp.route("/neu", methods=["GET", "POST"], defaults={"key": ""})
@bp.route("/<key>/bearbeiten", methods=["GET", "POST"])
@permission_required(Permission.ANSWER_CITIZENS)
def edit(key: str) -> ResponseReturnValue:
    session = db_session()
    items = blocks.versions(session, key) if key else []
    if key and not items:
        abort(404, gettext("Antwortbaustein „%(key)s“ nicht gefunden", key=key[:60]))
    newest: ReplyBlock | None = items[0] if items else None
    values = {
        "key": key,
        "name": newest.name if newest else "",
        "text": newest.text if newest else "",
        "placeholders": placeholders_text(newest.placeholders) if newest else "",
        "alert_template_key": (newest.alert_template_key or "") if newest else "",
        "note": "",
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = _form_values(key)
        spec, problems = _spec_and_problems(values)
        if not key and not problems.get("key") and blocks.versions(session, spec.key):
            problems["key"] = gettext(
                "Das Kürzel „%(key)s“ ist schon vergeben; bitte dort bearbeiten", key=spec.key
            )
        if not problems:
            created = blocks.create_version(session, spec, current_user.id, values["note"].strip())
            session.commit()
            flash(
                gettext(
                    "Version %(version)d gespeichert. Sie ist erst nach Freigabe durch eine "
                    "zweite Person nutzbar.",
                    version=created.version,
                ),
                "info",
            )
            return redirect(url_for("dialog_blocks.detail", key=created.key), code=303)
    return (
        render_template(
            "dialog_block_edit.html",
            key=key,
            values=values,
            problems=problems,
            templates=_template_names(),
            types=TYPES,
        ),
        422 if problems else 200,
    )


@bp.post("/<key>/<int:version>/freigeben")
@permission_required(Permission.APPROVE_REPLY_BLOCKS)
def approve(key: str, version: int) -> ResponseReturnValue:
    session = db_session()
    block = session.scalar(select(ReplyBlock).where(ReplyBlock.key == key, ReplyBlock.version == version))
    if block is None:
        abort(404, gettext("Version %(version)d von „%(key)s“ nicht gefunden", version=version, key=key[:60]))
    try:
        blocks.approve(session, block, current_user.id)
    except BlockError as exc:
        session.rollback()
        flash(localize(exc.message), "error")
        return _detail(key, exc.status)
    session.commit()
    flash(
        gettext("Version %(version)d freigegeben: ab jetzt im Posteingang nutzbar.", version=version), "info"
    )
    return redirect(url_for("dialog_blocks.detail", key=key), code=303)
