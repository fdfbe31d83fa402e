#!/usr/bin/env bash
# Copy the dashboard's front-end files from npm packages into the Python package.
#
# Versions are pinned in package.json and package-lock.json; `npm ci` installs exactly those and
# checks every tarball against the lockfile's sha512 integrity. The copies are committed (the
# product runs offline: nothing is fetched from a CDN), and SHA256SUMS beside them records what
# was copied. `scripts/vendor.sh --check` fails when the committed files differ from the pinned
# packages (CI-friendly; `make vendor` refreshes them).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=src/tilework/web/static/vendor
FILES=(
    "node_modules/htmx.org/dist/htmx.min.js:htmx.min.js"
    "node_modules/htmx-ext-sse/dist/sse.min.js:htmx-ext-sse.min.js"
    "node_modules/@picocss/pico/css/pico.min.css:pico.min.css"
    "node_modules/htmx.org/LICENSE:htmx.LICENSE"
    "node_modules/htmx-ext-sse/LICENSE:htmx-ext-sse.LICENSE"
    "node_modules/@picocss/pico/LICENSE.md:pico.LICENSE.md"
)

if [ ! -d node_modules/htmx.org ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund
fi

if [ "${1:-}" = "--check" ]; then
    status=0
    for pair in "${FILES[@]}"; do
        if ! cmp -s "${pair%%:*}" "$DEST/${pair##*:}"; then
            echo "vendored file out of date: $DEST/${pair##*:} (run make vendor)" >&2
            status=1
        fi
    done
    (cd "$DEST" && sha256sum --quiet -c SHA256SUMS) || status=1
    exit $status
fi

mkdir -p "$DEST"
for pair in "${FILES[@]}"; do
    cp "${pair%%:*}" "$DEST/${pair##*:}"
done
(cd "$DEST" && sha256sum ./*.js ./*.css ./*LICENSE* | sed 's# \./# #' > SHA256SUMS)
{
    echo "Vendored from npm by scripts/vendor.sh; versions pinned in package-lock.json:"
    for name in htmx.org htmx-ext-sse @picocss/pico; do
        node -p "const p=require('./node_modules/$name/package.json'); p.name+' '+p.version+' ('+(p.license || 'see its LICENSE file')+')'"
    done
} > "$DEST/VERSIONS"
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
