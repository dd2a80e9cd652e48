#!/usr/bin/env bash
# Runs the Teams card check, its own tests, or regenerates the pictures of
# docs/CARDS.md. Needs Node.js with npm, Debian's chromium and the Open
# Sans font (apt-get install nodejs npm chromium fonts-open-sans); installs
# the npm packages (adaptivecards, puppeteer-core, markdown-it) from the
# lock file on first use. No browser is ever downloaded.
#
#   tools/cardcheck/run.sh [GLOB...]     check the Teams goldens (default: all)
#   tools/cardcheck/run.sh test          the tool's own tests
#   tools/cardcheck/run.sh ci            both, as .ci/run runs them (see below)
#   tools/cardcheck/run.sh docs          rewrite docs/cards/*.png and the gallery in docs/CARDS.md
#   tools/cardcheck/run.sh shots DIR     every golden as PNGs in DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "cardcheck: $tool is missing (apt-get install nodejs npm chromium fonts-open-sans)" >&2
    exit 1
  fi
done
if [ -z "${CHROMIUM:-}" ]; then
  CHROMIUM="$(command -v chromium || true)"
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "cardcheck: no chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)" >&2
  exit 1
fi
export CHROMIUM

# npm ci when node_modules is absent or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "cardcheck: npm ci"
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

cmd="${1:-check}"
case "$cmd" in
  test)
    cd "$here" && exec node --test test/cardcheck.test.js ;;
  ci)
    # Every Teams golden, the first ones (bot/teams/testdata/*.golden.json)
    # and the per-language ones (testdata/cards/), held to every rule.
    cd "$here" && node --test test/cardcheck.test.js
    cd "$repo" && exec node "$here/cardcheck.js" ;;
  docs)
    cd "$repo" && exec node "$here/cardcheck.js" --shots docs/cards --doc docs/CARDS.md ;;
  shots)
    [ $# -ge 2 ] || { echo "usage: $0 shots DIR [GLOB...]" >&2; exit 2; }
    shift; dir="$1"; shift
    exec node "$here/cardcheck.js" --shots "$dir" "$@" ;;
  check)
    shift || true
    exec node "$here/cardcheck.js" "$@" ;;
  *)
    exec node "$here/cardcheck.js" "$@" ;;
esac
