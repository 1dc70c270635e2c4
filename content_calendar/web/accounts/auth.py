"""Login and logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from content_calendar.accounts.auth import verify_password
from content_calendar.accounts.models import User, audit
from content_calendar.web.helpers import LoginUser, db_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would help phishing.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        session = db_session()
        user = session.scalar(select(User).where(User.username == username))
        if user and user.active and verify_password(user.password_hash, password):
            login_user(LoginUser(user))
            audit(session, "user.login", user.id, user)
            session.commit()
            return redirect(_safe_next(request.args.get("next")))
        flash("Benutzername oder Passwort falsch.", "error")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    flash("Sie sind abgemeldet.", "info")
    return redirect(url_for("auth.login"))
