"""The ``ernstfall`` command."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from publisher.settings import Settings, SettingsError, load_settings
from workers import account_cli, alert_cli, audit_cli, drill_cli, inbox_cli
from workers.logs import configure_logging


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    from content_calendar.database import migrate

    migrate(settings)
    print(f"Datenbank aktuell: {settings.database_url.split('@')[-1]}")
    return 0


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.database import get_database, migrate
    from content_calendar.demo import DEMO_ROLES, load_demo, save_logins, write_demo_channels

    migrate(settings)
    if not args.demo:
        write_demo_channels(settings.channels_file)
        print(f"Datenbank bereit. Kanäle: {settings.channels_file}")
        return 0
    logins = load_demo(get_database(settings), settings)
    if logins:
        path = save_logins(settings, logins)
        print(f"Demo-Zugänge (auch in {path}):")
        for user, password in logins.items():
            print(f"  {user:<12} {password}   Rolle: {', '.join(DEMO_ROLES[user])}")
    else:
        path = settings.home / "demo-logins.txt"
        print(f"Demo-Daten vorhanden. Zugänge stehen in {path}")
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.database import migrate
    from publisher.settings import child_environment
    from workers.supervisor import AlreadyRunning, InstanceLock, exec_supervisor

    try:
        probe = InstanceLock(settings.home)
        probe.acquire()
        probe.release()
    except AlreadyRunning as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 3
    migrate(settings)
    # The supervisor runs in this process (same PID) without the application loaded.
    exec_supervisor(settings, child_environment(), args.host, args.port)


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.web import create_app

    # Live boards hold a thread each (Server-Sent Events); at most half the threads
    # stream (ERNSTFALL_SSE_MAX_STREAMS), the rest serve pages and the API.
    from workers.heap import freeze_startup_objects

    app = create_app()
    freeze_startup_objects()
    from workers.web_server import web_server

    server = web_server(app, args.host, args.port, settings.web_threads)
    server.print_listen("Serving on http://{}:{}")
    server.run()
    return 0


def cmd_scheduler(settings: Settings, _: argparse.Namespace) -> int:
    from workers.scheduler import run_forever

    run_forever(settings)
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.celery_app import app

    app.worker_main(
        [
            "worker",
            "-Q",
            args.lane,
            "--pool",
            "threads",
            "--concurrency",
            str(args.concurrency),
            "-n",
            f"{args.lane}@%h",
            "--loglevel",
            "INFO",
        ]
    )
    return 0


def cmd_channels(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.accounts.models import audit
    from content_calendar.database import get_database
    from publisher.channel_config import ChannelConfigError, load_channels_file, sync_channels
    from publisher.models import Channel

    db = get_database(settings)
    if args.action == "sync":
        try:
            specs = load_channels_file(settings.channels_file)
        except ChannelConfigError as exc:
            print(f"Fehler: {exc}", file=sys.stderr)
            return 2
        with db.session() as session:
            sync_channels(session, specs)
            audit(session, "channels.synced", None, None, via="cli", channels=sorted(s.name for s in specs))
        print(f"{len(specs)} Kanäle aus {settings.channels_file} übernommen")
        return 0
    if args.action == "check":
        return check_channels_now(settings)
    with db.session() as session:
        for channel in session.scalars(select(Channel).order_by(Channel.name)):
            status = "aktiv" if channel.enabled else "aus"
            print(f"{channel.name:<20} {channel.type:<10} {status:<6} {channel.lanes}")
    return 0


def check_channels_now(settings: Settings) -> int:
    """Every channel's readiness check now (recorded, staff told of changes); 1 if any fails."""
    from publisher.vocabulary import ReadinessState
    from workers.health import run_checks

    verdicts = run_checks(settings)
    marks = {
        ReadinessState.OK: "OK     ",
        ReadinessState.WARNING: "WARNUNG",
        ReadinessState.FAILING: "FEHLER ",
    }
    for name, verdict in sorted(verdicts.items()):
        print(f"{marks[verdict.state]} {name:<20} {verdict.reason}")
    drill_cli.print_results(settings)  # the last planned test alerts, per channel
    failing = sorted(name for name, v in verdicts.items() if v.state == ReadinessState.FAILING)
    if failing:
        print(f"Gestörte Kanäle: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.accounts.auth import create_user, generate_password
    from content_calendar.database import get_database

    if args.target is not None:  # ernstfall user deactivate|activate|unlock NAME
        return account_cli.user_action(settings, args.username, args.target)
    if not args.role:
        print("Fehler: mindestens eine --role angeben (z. B. --role editor)", file=sys.stderr)
        return 2
    password = settings.new_password or generate_password()
    try:
        with get_database(settings).session() as session:
            create_user(session, args.username, args.role, password)
    except ValueError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    print(f"Benutzer {args.username} angelegt. Passwort: {password}")
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.accounts.auth import mint_token
    from content_calendar.accounts.models import User
    from content_calendar.database import get_database

    if args.target is not None:  # ernstfall token revoke ID | token list NAME
        return account_cli.token_action(settings, args.username, args.target)
    with get_database(settings).session() as session:
        user = session.scalar(select(User).where(User.username == args.username))
        if user is None:
            print(f"Fehler: Benutzer {args.username!r} unbekannt", file=sys.stderr)
            return 2
        token = mint_token(session, user, args.label)
    print(token)
    return 0


def cmd_banner(settings: Settings, args: argparse.Namespace) -> int:
    from publisher.outputs.banner import Banner, BannerError, validate_banner, write_banner

    if args.action == "clear":
        write_banner(settings.public_dir, None, cleared_at=datetime.now(UTC).isoformat())
        print(f"Banner entfernt ({settings.public_dir / 'banner.json'})")
        audit_cli.record(settings, "banner.cleared")
        return 0
    try:
        validate_banner(args.level, args.text or "", args.link)
    except BannerError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    expires = None
    if args.hours:
        expires = (datetime.now(UTC) + timedelta(hours=args.hours)).isoformat()
    banner = Banner(
        level=args.level,
        text=args.text,
        link=args.link,
        headline=args.headline,
        expires_at=expires,
        updated_at=datetime.now(UTC).isoformat(),
        issued_at=datetime.now(UTC).isoformat(),  # newer than any alert still in flight
    )
    write_banner(settings.public_dir, banner)
    print(json.dumps({"geschrieben": str(settings.public_dir / "banner.json")}, ensure_ascii=False))
    audit_cli.record(
        settings, "banner.set", level=args.level, headline=args.headline, text=args.text, link=args.link
    )
    return 0


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    from content_calendar.calendar.digest import DigestError, compose, send_weekly_digest
    from content_calendar.database import get_database

    db = get_database(settings)
    if args.dry_run:
        with db.session() as session:
            digest = compose(session, settings)
        print(f"An: {', '.join(digest.recipients) or '(niemand)'}")
        print(f"Betreff: {digest.subject}\n\n{digest.body}")
        return 0
    try:
        digest = send_weekly_digest(db, settings)
    except DigestError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    print(f"Wochenüberblick an {len(digest.recipients)} Empfänger gesendet")
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ernstfall", description="Ernstfall — Krisenkommunikation")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="Datenbankschema aktualisieren (Alembic)")
    init = sub.add_parser("init", help="Datenbank anlegen, optional Demo-Daten laden")
    init.add_argument("--demo", action="store_true")
    host, port = settings.host, settings.port
    for name, text in (("up", "Gesamtsystem starten und überwachen"), ("web", "Nur die Web-App")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default=host)
        p.add_argument("--port", type=int, default=port)
    sub.add_parser("scheduler", help="Nur den Scheduler-Takt")
    worker = sub.add_parser("worker", help="Nur einen Celery-Worker")
    worker.add_argument("lane", choices=["crisis", "community", "health"])
    worker.add_argument("--concurrency", type=int, default=8)
    channels = sub.add_parser("channels", help="Kanäle: sync, list, check")
    channels.add_argument("action", choices=["sync", "list", "check"])
    user = sub.add_parser("user", help="Benutzer anlegen; user deactivate|activate|unlock NAME")
    user.add_argument("username")
    user.add_argument("target", nargs="?", help="nach deactivate/activate/unlock: der Benutzername")
    user.add_argument("--role", action="append")
    token = sub.add_parser("token", help="API-Token erzeugen; token revoke ID; token list NAME")
    token.add_argument("username")
    token.add_argument("target", nargs="?", help="nach revoke: die Token-ID; nach list: der Benutzername")
    token.add_argument("--label", default="cli")
    alert_cli.add_parser(sub)
    inbox_cli.add_parser(sub, COMMANDS)
    drill_cli.add_parser(sub, COMMANDS)
    audit_cli.add_parser(sub)
    banner = sub.add_parser("banner", help="Website-Banner setzen oder entfernen (ohne Datenbank)")
    banner.add_argument("action", choices=["set", "clear"])
    banner.add_argument("--level", default="info")
    banner.add_argument("--text")
    banner.add_argument("--headline")
    banner.add_argument("--link")
    banner.add_argument("--hours", type=float, help="läuft nach so vielen Stunden ab")
    digest = sub.add_parser("digest", help="Wochenüberblick (Lücken, Fehler) an die Redaktion mailen")
    digest.add_argument("--dry-run", action="store_true", help="nur anzeigen, nicht senden")
    return parser


COMMANDS = {
    "migrate": cmd_migrate,
    "init": cmd_init,
    "up": cmd_up,
    "web": cmd_web,
    "scheduler": cmd_scheduler,
    "worker": cmd_worker,
    "channels": cmd_channels,
    "user": cmd_user,
    "token": cmd_token,
    "alert": alert_cli.cmd_alert,
    "audit": audit_cli.cmd_audit,
    "banner": cmd_banner,
    "digest": cmd_digest,
}


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Fehler in der Konfiguration:\n{exc}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    configure_logging(settings.log_level)
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
