# browserlib.sh: what the browser tests share. Sourced first: it ends the
# test as skipped (77) where chromium, node or npm is missing, else sets
# CHROMIUM. Then, after lib.sh, `browser_runner SCRIPT.mjs` makes RUNNER
# (BUILD/browser-test) hold the lock file's node packages (npm ci, only when
# the lock file changed) and a copy of tests/browser/SCRIPT.mjs (and of
# board.mjs, which the dashboard's scripts share).
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "skipped: chromium, node and npm are needed (scripts/install-deps.sh installs them)"
    exit 77
fi

browser_runner() {
    RUNNER="$GL_BIN/browser-test"
    mkdir -p "$RUNNER"
    if ! cmp -s "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/package-lock.json" || [ ! -d "$RUNNER/node_modules" ]; then
        cp "$GL_SRC/tests/browser/package.json" "$GL_SRC/tests/browser/package-lock.json" "$RUNNER/"
        (cd "$RUNNER" && npm ci --no-audit --no-fund >"$HOME_DIR/npm.out" 2>&1) || fail "npm ci: $(tail -5 "$HOME_DIR/npm.out")"
    fi
    cp "$GL_SRC/tests/browser/$1" "$GL_SRC/tests/browser/board.mjs" "$RUNNER/"
}
