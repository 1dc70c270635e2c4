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
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages:$missing"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
    else
        echo "note: not root; missing Debian packages:$missing (browser tests will skip)" >&2
    fi
fi
