#!/usr/bin/env bash
# tests/systemd.sh — lints systemd/enrichd.service with systemd-analyze:
#   1. `systemd-analyze verify` on a copy whose /usr/bin/enrichd paths point at the built binary
#      ($ENRICHD_BIN/enrichd), so verify can check the executables exist;
#   2. `systemd-analyze security --offline=yes`: fails when the exposure score is above 2.0.
# Exits 77 (ctest: skipped) when systemd-analyze is missing. Touches only a temp directory.
set -uo pipefail

src=${ENRICHD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bin=${ENRICHD_BIN:-$src/build/bin}
unit=$src/systemd/enrichd.service
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze absent (Debian package systemd)"
    exit 77
fi
if [[ ! -f $unit ]]; then
    echo "FAIL: $unit absent"
    exit 1
fi
if [[ ! -x $bin/enrichd ]]; then
    echo "FAIL: $bin/enrichd absent or not executable (build it first)"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The unit name must stay enrichd.service; only the binary paths change.
sed -e "s#/usr/bin/enrichd#$bin/enrichd#g" "$unit" >"$tmp/enrichd.service"

fail=0

echo "--- systemd-analyze verify"
if ! grep -q "^ExecStart=$bin/enrichd " "$tmp/enrichd.service"; then
    echo "FAIL: ExecStart does not run /usr/bin/enrichd"
    fail=1
fi
# verify prints problems on stderr and also exits 0 for some of them (unknown directives are
# warnings), so any output at all is a failure.
out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./enrichd.service 2>&1)
rc=$?
if [[ $rc -ne 0 || -n $out ]]; then
    echo "FAIL: systemd-analyze verify (exit $rc):"
    echo "$out"
    fail=1
else
    echo "ok: verify is clean"
fi

echo "--- systemd-analyze security --offline=yes"
out=$(cd "$tmp" && systemd-analyze security --offline=yes --no-pager ./enrichd.service 2>&1)
score=$(printf '%s\n' "$out" |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' | tail -n1)
if [[ -z $score ]]; then
    echo "FAIL: no exposure score in the output of systemd-analyze security:"
    echo "$out"
    fail=1
elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
    echo "FAIL: exposure $score > $max_exposure; what is exposed:"
    printf '%s\n' "$out" | grep '✗'
    fail=1
else
    echo "ok: exposure $score <= $max_exposure"
fi

exit $fail
