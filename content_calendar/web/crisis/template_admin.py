"""Template admin: the library, every version, editing (a new version) and approval."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from content_calendar.accounts.models import User
from content_calendar.accounts.policy import Permission
from content_calendar.crisis import templates
from content_calendar.crisis.models import AlertTemplate
from content_calendar.crisis.placeholders import TYPE_LABELS, TYPES
from content_calendar.web.helpers import db_session, permission_required, settings
from content_calendar.web.i18n import gettext, localize, ngettext, translated_labels

bp = Blueprint("template_admin", __name__, url_prefix="/vorlagen", template_folder="templates")


@bp.route("/")
@permission_required(Permission.VIEW_TEMPLATES)
def index() -> str:
    return render_template(
        "template_list.html", rows=templates.library(db_session()), levels=templates.LEVELS
    )


@bp.post("/bibliothek-laden")
@permission_required(Permission.EDIT_TEMPLATES)
def load() -> ResponseReturnValue:
    added = templates.load_library(db_session(), current_user.id)
    db_session().commit()
    created = ngettext(
        "%(num)d mitgelieferte Vorlage angelegt — sie braucht noch eine Freigabe.",
        "%(num)d mitgelieferte Vorlagen angelegt — sie brauchen noch eine Freigabe.",
        len(added),
    )
    flash(created, "info")
    return redirect(url_for("template_admin.index"))


@bp.route("/<key>")
@permission_required(Permission.VIEW_TEMPLATES)
def detail(key: str) -> str:
    session = db_session()
    items = templates.versions(session, key)
    if not items:
        abort(404, gettext("Vorlage %(key)r nicht gefunden", key=key))
    names = {u.id: u.display_name for u in session.scalars(select(User))}
    return render_template(
        "template_detail.html",
        versions=items,
        newest=items[0],
        names=names,
        levels=templates.LEVELS,
        languages=templates.LANGUAGE_LABELS,
        type_labels=translated_labels(TYPE_LABELS),
    )


def placeholders_from(text: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Lines ``name | type | label | max length | optional``."""
    result: dict[str, dict[str, Any]] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            errors.append(
                gettext(
                    "Platzhalter Zeile %(number)d: Format name | Typ | Bezeichnung [| Länge] [| optional]",
                    number=number,
                )
            )
            continue
        meta: dict[str, Any] = {"type": parts[1], "label": parts[2]}
        if len(parts) > 3 and parts[3]:
            if not parts[3].isdigit():
                errors.append(
                    gettext("Platzhalter Zeile %(number)d: Länge muss eine Zahl sein", number=number)
                )
                continue
            meta["max_length"] = int(parts[3])
        if len(parts) > 4 and parts[4].lower() == "optional":
            meta["required"] = False
        result[parts[0]] = meta
    return result, errors


def placeholders_text(spec: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, meta in spec.items():
        optional = "" if meta.get("required", True) else "optional"
        lines.append(
            " | ".join(
                [
                    name,
                    meta.get("type", "text"),
                    meta.get("label", name),
                    str(meta.get("max_length", "")),
                    optional,
                ]
            ).rstrip(" |")
        )
    return "\n".join(lines)


def spec_from_form(key: str) -> tuple[dict[str, Any], dict[str, str]]:
    form = request.form
    placeholders, errors = placeholders_from(form.get("placeholders", ""))
    texts: dict[str, dict[str, str]] = {}
    languages = [lang for lang in form.getlist("lang") if lang]
    new_lang = form.get("new_lang", "").strip()
    if new_lang:
        languages.append(new_lang)
    for lang in languages:
        parts = {
            "headline": form.get(f"headline_{lang}", ""),
            "text": form.get(f"text_{lang}", ""),
            "channel:sms": form.get(f"sms_{lang}", ""),
        }
        if any(v.strip() for v in parts.values()):
            texts[lang] = {k: v for k, v in parts.items() if v.strip()}
    spec = {
        "key": key,
        "name": form.get("name", ""),
        "event": form.get("event", ""),
        "level": form.get("level", ""),
        "cap": {name: form.get(f"cap_{name}", "") for name in templates.CAP_VALUES},
        "channel_names": [c.strip() for c in form.get("channel_names", "").split(",") if c.strip()],
        "placeholders": placeholders,
        "texts": texts,
        "link": form.get("link", "").strip() or None,
    }
    return spec, {f"placeholders.{i}": e for i, e in enumerate(errors)}


@bp.route("/<key>/bearbeiten", methods=["GET", "POST"])
@bp.route("/neu", methods=["GET", "POST"], defaults={"key": ""})
@permission_required(Permission.EDIT_TEMPLATES)
def edit(key: str) -> ResponseReturnValue:
    session = db_session()
    items = templates.versions(session, key) if key else []
    if key and not items:
        abort(404, gettext("Vorlage %(key)r nicht gefunden", key=key))
    spec: dict[str, Any] = (
        templates.template_spec(items[0])
        if items
        else {
            "key": "",
            "texts": {"de": {}, "en": {}, "de-x-ls": {}},
            "cap": {},
            "placeholders": {},
            "channel_names": [],
        }
    )
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        spec, problems = spec_from_form(key or request.form.get("key", "").strip())
        if not problems:
            try:
                created = templates.create_version(
                    session, spec, current_user.id, request.form.get("note", "")
                )
            except templates.TemplateError as exc:
                problems = {field: localize(text) for field, text in exc.problems.items()}
            else:
                session.commit()
                saved = gettext(
                    "Version %(version)s gespeichert. Sie ist erst nach Freigabe "
                    "durch eine zweite Person nutzbar.",
                    version=created.version,
                )
                flash(saved, "info")
                return redirect(url_for("template_admin.detail", key=created.key), code=303)
        status = 422
    return (
        render_template(
            "template_edit.html",
            spec=spec,
            key=key,
            problems=problems,
            placeholders=placeholders_text(spec.get("placeholders", {})),
            levels=templates.LEVELS,
            cap_values=templates.CAP_VALUES,
            languages=templates.LANGUAGE_LABELS,
            types=TYPES,
        ),
        status,
    )


@bp.post("/<key>/<int:version>/freigeben")
@permission_required(Permission.APPROVE_TEMPLATES)
def approve_view(key: str, version: int) -> ResponseReturnValue:
    session = db_session()
    template = session.scalar(
        select(AlertTemplate).where(AlertTemplate.key == key, AlertTemplate.version == version)
    )
    if template is None:
        abort(404, gettext("Version nicht gefunden"))
    try:
        templates.approve(session, template, current_user.id, settings())
    except templates.TemplateError as exc:
        session.commit()  # keep the check report and the audit event of the failed check
        details = "".join(f" — {field}: {localize(text)}" for field, text in exc.problems.items())
        flash(localize(exc.message) + details, "error")
        return detail(key), exc.status
    session.commit()
    flash(
        gettext("Version %(version)s freigegeben: ab jetzt in der Krisenkonsole nutzbar.", version=version),
        "info",
    )
    return redirect(url_for("template_admin.detail", key=key), code=303)
