#!/usr/bin/env bash
# Checks a report page in headless Chromium:  scripts/check-report-html.sh PAGE.html [SCREENSHOT.png]
#
# Installs Debian's chromium if it is missing (apt-get as root, or through sudo), loads the
# page, and fails when
#   - Chromium logs a console message or an uncaught exception,
#   - the page's own check (body data-rendered, set on load) is not "ok": every SVG chart
#     must have a non-zero size, and there must be as many as body data-charts says.
# Then it saves a screenshot of the whole page (default: PAGE.png beside the page).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 PAGE.html [SCREENSHOT.png]" >&2
    exit 2
fi
page=$1
screenshot=${2:-${page%.html}.png}
if [ ! -f "$page" ]; then
    echo "check-report-html: no such file: $page" >&2
    exit 2
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "textclf: installing chromium" >&2
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "textclf: need root (or sudo) to install: chromium" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
fi

url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0)

# The DOM after the load event, and everything Chromium logged on the way.
chromium "${flags[@]}" --window-size=1280,1000 --virtual-time-budget=5000 --dump-dom "$url" \
    >"$work/dom.html" 2>"$work/dom.log" || {
    cat "$work/dom.log" >&2
    echo "check-report-html: chromium failed on $page" >&2
    exit 1
}

status=0
# Console messages (console.log/error, uncaught exceptions) appear as CONSOLE lines. The
# page logs nothing, so any such line is a failure.
if grep -E 'CONSOLE|Uncaught' "$work/dom.log" >&2; then
    echo "check-report-html: the page logged console messages or exceptions (above)" >&2
    status=1
fi
body=$(grep -o '<body[^>]*>' "$work/dom.html" | head -n 1 || true)
attribute() { sed -n "s/.* $1=\"\([^\"]*\)\".*/\1/p" <<<"$body"; }
rendered=$(attribute data-rendered)
expected=$(attribute data-charts)
drawn=$(attribute data-charts-drawn)
height=$(attribute data-page-height)
svgs=$(grep -o '<svg class="chart"' "$work/dom.html" | wc -l || true)
if [ "$rendered" != "ok" ]; then
    echo "check-report-html: the page's check says '${rendered:-nothing}' (charts expected ${expected:-?}, drawn ${drawn:-?})" >&2
    status=1
fi
if [ "$svgs" != "${expected:-x}" ]; then
    echo "check-report-html: $svgs SVG charts in the DOM, the page declares ${expected:-none}" >&2
    status=1
fi

# A screenshot of the whole page: the window as tall as the page's content.
height=${height:-1600}
[ "$height" -gt 12000 ] && height=12000
chromium "${flags[@]}" --window-size="1280,$height" --virtual-time-budget=5000 --screenshot="$screenshot" "$url" \
    >"$work/shot.log" 2>&1 || {
    cat "$work/shot.log" >&2
    echo "check-report-html: chromium could not take the screenshot" >&2
    exit 1
}
if [ ! -s "$screenshot" ]; then
    echo "check-report-html: no screenshot written" >&2
    exit 1
fi

if [ "$status" -eq 0 ]; then
    echo "check-report-html: ok: $page ($svgs charts drawn; screenshot $screenshot, 1280x$height)"
fi
exit "$status"
