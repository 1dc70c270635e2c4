"""The website banner: public JSON plus an embeddable script, written as static files.

The files are the truth for the banner, so any web server can serve them and
``ernstfall banner set`` works even when the database is unreachable.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from publisher.vocabulary import level_hex_colours

LEVELS = ("extreme", "severe", "info", "allclear", "exercise")
# The link's words in the languages the shipped templates are written in.
MORE_INFORMATION = {
    "de": "Mehr Informationen",
    "en": "More information",
    "tr": "Daha fazla bilgi",
    "ar": "مزيد من المعلومات",
    "uk": "Більше інформації",
}


@dataclass(frozen=True)
class Banner:
    level: str
    text: str
    link: str | None = None
    expires_at: str | None = None  # ISO 8601 with offset
    headline: str | None = None
    alert_id: int | None = None
    updated_at: str | None = None
    # When the message behind this banner was issued. A late write of an older alert
    # (a retry, a slow worker) must never replace a newer banner, e.g. the all-clear.
    issued_at: str | None = None
    # The same message in the template's other languages ({"en": {"headline", "text"}}):
    # the script shows the one the visitor's browser asks for, else ``headline``/``text``.
    translations: dict[str, dict[str, str]] | None = None

    def expired(self, now: datetime | None = None) -> bool:
        if not self.expires_at:
            return False
        now = now or datetime.now(UTC)
        return datetime.fromisoformat(self.expires_at) <= now


class BannerError(ValueError):
    pass


def validate_banner(level: str, text: str, link: str | None) -> None:
    if level not in LEVELS:
        raise BannerError(f"Unbekannte Warnstufe {level!r} (erlaubt: {', '.join(LEVELS)})")
    if not text.strip():
        raise BannerError("Bannertext fehlt")
    if len(text) > 1000:
        raise BannerError(f"Bannertext zu lang: {len(text)} von 1000 Zeichen")
    if link and not (link.startswith("https://") or link.startswith("http://")):
        raise BannerError("Link muss mit https:// oder http:// beginnen")


def _atomic_write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The script only ever uses textContent, never innerHTML, so banner text cannot
# inject markup into the city's site. The data is embedded as JSON, which
# json.dumps escapes for a script context below.
_SCRIPT = """(function () {
  var b = %s;
  var MORE = %s;
  var box = document.getElementById("ernstfall-banner");
  if (!box) { box = document.createElement("div"); box.id = "ernstfall-banner";
    document.body.insertBefore(box, document.body.firstChild); }
  while (box.firstChild) { box.removeChild(box.firstChild); }
  if (!b || (b.expires_at && new Date(b.expires_at) <= new Date())) {
    box.style.display = "none"; return; }
  var colors = %s;
  box.setAttribute("role", "alert");
  box.style.cssText = "display:block;padding:12px 16px;color:#fff;font:16px/1.4 sans-serif;" +
    "background:" + (colors[b.level] || "#333");
  var lang = "de", shown = {headline: b.headline, text: b.text};
  var asked = navigator.languages || [navigator.language || ""];
  for (var i = 0; i < asked.length; i++) {
    var code = String(asked[i]).toLowerCase().split("-")[0];
    if (code === "de") { break; }
    if (b.translations && b.translations[code] && b.translations[code].text) {
      lang = code; shown = b.translations[code]; break; }
  }
  box.lang = lang; box.dir = (lang === "ar" || lang === "fa" || lang === "he") ? "rtl" : "ltr";
  if (shown.headline) { var h = document.createElement("strong"); h.textContent = shown.headline + " ";
    box.appendChild(h); }
  var t = document.createElement("span"); t.textContent = shown.text; box.appendChild(t);
  if (b.link && /^https?:\\/\\//.test(b.link)) { var a = document.createElement("a");
    a.href = b.link; a.textContent = " " + (MORE[lang] || MORE.de); a.style.color = "#fff";
    box.appendChild(a); }
})();
"""


def script_for(banner: Banner | None) -> str:
    data = json.dumps(asdict(banner) if banner else None, ensure_ascii=True)
    # Prevent "</script>" and HTML comment tricks when the script is inlined.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    more = json.dumps(MORE_INFORMATION, ensure_ascii=True)
    return _SCRIPT % (data, more, json.dumps(level_hex_colours()))


def write_banner(public_dir: Path, banner: Banner | None, cleared_at: str | None = None) -> None:
    """Write banner.json and banner.js; ``None`` clears the banner (as of ``cleared_at``)."""
    payload: dict[str, Any] = {
        "banner": asdict(banner) if banner else None,
        "issued_at": banner.issued_at if banner else cleared_at,
    }
    _atomic_write(public_dir / "banner.json", json.dumps(payload, ensure_ascii=False, indent=1))
    _atomic_write(public_dir / "banner.js", script_for(banner))


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _read_payload(public_dir: Path) -> dict[str, Any]:
    try:
        payload = json.loads((public_dir / "banner.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def write_banner_unless_newer(public_dir: Path, banner: Banner) -> bool:
    """Write ``banner`` unless the current one was issued later. Returns whether it wrote.

    Holds a lock across read, compare and write, so concurrent workers and threads
    cannot interleave; the files themselves stay readable by any web server.
    """
    public_dir.mkdir(parents=True, exist_ok=True)
    with open(public_dir / ".banner.lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current_issued = _parse(_read_payload(public_dir).get("issued_at"))
            mine = _parse(banner.issued_at)
            if current_issued and mine and current_issued > mine:
                return False
            write_banner(public_dir, banner)
            return True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_raw(public_dir: Path) -> Banner | None:
    """The banner file as written, expired or not."""
    data = _read_payload(public_dir).get("banner")
    if not isinstance(data, dict):
        return None
    known = {k: v for k, v in data.items() if k in Banner.__dataclass_fields__}
    return Banner(**known)


def read_banner(public_dir: Path, now: datetime | None = None) -> Banner | None:
    """The current banner, or None if there is none or it has expired."""
    banner = _read_raw(public_dir)
    return None if banner is None or banner.expired(now) else banner
