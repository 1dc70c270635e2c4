#!/bin/sh
# Debian packages the blackout pack needs at run time (make run, docker build):
# DejaVu Sans for the printed notice (Latin, Cyrillic, Turkish and Arabic glyphs) and
# espeak-ng for the loudspeaker audio. Installed only when running as root and missing;
# otherwise a note says what the notice and the audio will lack.
set -eu
missing=""
for font in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
    [ -f "/usr/share/fonts/truetype/dejavu/$font" ] || missing="fonts-dejavu-core"
done
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages for the blackout pack:$missing"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
    else
        echo "note: missing Debian packages:$missing — the printed notice then shows only Latin-1" \
             "text (other scripts as a note) and the loudspeaker audio is unavailable" >&2
    fi
fi
