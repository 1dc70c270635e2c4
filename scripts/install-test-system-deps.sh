#!/bin/sh
# Debian packages the tests need: chromium for the browser tests, postgresql for the
# DATABASE_URL=postgresql tests, espeak-ng for the loudspeaker audio,
# DejaVu fonts for the printed notice and the Instagram tile (Unicode text).
# Installed only when running as root and missing; otherwise the browser tests say why they skip.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
fonts=/usr/share/fonts/truetype/dejavu  # the printed notice needs regular and bold (Arabic included)
[ -f $fonts/DejaVuSans.ttf ] && [ -f $fonts/DejaVuSans-Bold.ttf ] || missing="$missing fonts-dejavu-core"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages:$missing"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
    else
        echo "note: not root; missing Debian packages:$missing (browser tests will skip)" >&2
    fi
fi
# axe-core for the accessibility checks of the browser tests: a test-only npm folder
# (tests/browser/node_modules, not committed), pinned by tests/browser/package-lock.json.
if command -v npm >/dev/null 2>&1; then
    (cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --silent) \
        || echo "note: npm ci in tests/browser failed; the browser tests will skip" >&2
else
    echo "note: npm missing (Debian package npm); the browser tests will skip" >&2
fi
