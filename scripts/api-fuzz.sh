#!/usr/bin/env bash
# Fuzzes the fleet server's API from its OpenAPI document (docs/api.yaml) with schemathesis: a
# real `hyperward server run` on loopback with a scratch state directory, one enrolled host with
# pushed events, and an admin API token (so every operation is reachable). Fails on any 5xx, any
# response that does not match the document, and the other schemathesis checks.
#   scripts/api-fuzz.sh [MAX_EXAMPLES]    (default 40 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-40}
bin=$(realpath "${HYPERWARD_BINARY:-.build/debug/hyperward}")
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

umask 077
printf 'api fuzz scratch passphrase' >"$work/pass"
"$bin" keys init --state-dir "$work/server" --passphrase-file "$work/pass" --scrypt-log-n 10 >/dev/null
"$bin" server run --state-dir "$work/server" --passphrase-file "$work/pass" --listen 127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
port=
for _ in $(seq 1 300); do
    port=$(sed -nE 's|.*listening on https://127\.0\.0\.1:([0-9]+).*|\1|p' "$work/server.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "api-fuzz: the server did not start" >&2; exit 1; }
fingerprint=$(sed -nE 's|.*fingerprint (sha256:[0-9a-f]+).*|\1|p' "$work/server.log" | head -n 1)
token=$("$bin" server token create --group fuzz --state-dir "$work/server" 2>/dev/null)
"$bin" agent enroll --server "https://127.0.0.1:$port" --token "$token" --ca-fingerprint "$fingerprint" --name kvm-fuzz \
    --state-dir "$work/agent" >/dev/null
"$bin" audit --root / --record --state-dir "$work/agent" --skip packages >/dev/null 2>&1 || true
"$bin" agent push --state-dir "$work/agent" >/dev/null
admin=$("$bin" server user add fuzzer --role admin --state-dir "$work/server" 2>/dev/null)

# The host's client certificate rides along, so the agent routes are fuzzed past their TLS check
# too. The actions long poll (GET /v1/agent/actions?wait=…) is left out: each of its cases may
# hold the connection up to 50 s by design; the process tests exercise it.
set +e
# Run from the scratch directory: schemathesis keeps caches in the working directory.
root=$(pwd)
cd "$work"
schemathesis --config-file "$root/schemathesis.toml" run "$root/docs/api.yaml" --url "https://127.0.0.1:$port" \
    --header "Authorization: Bearer $admin" \
    --tls-verify "$work/server/fleet-ca.pem" \
    --request-cert "$work/agent/fleet/host.crt" --request-cert-key "$work/agent/fleet/host.key" \
    --exclude-operation-id pollActions \
    --checks all --max-examples "$examples" --seed 1 --workers 2 --generation-database none \
    --report junit --report-junit-path "$work/junit.xml" --output-truncate true >"$work/fuzz.log" 2>&1
rc=$?
set -e
# A failed check, a network error or a dead server fails the run. schemathesis's own crashes
# ("Runtime Error" with a Python traceback inside the tool, seen in its coverage phase) are
# reported and do not: they say nothing about the server.
failed=0
grep -qE "^Failures:" "$work/fuzz.log" && failed=1
grep -qE "Network Error|Connection (refused|reset|aborted)|Timeout Error" "$work/fuzz.log" && failed=1
kill -0 "$server_pid" 2>/dev/null || { echo "api-fuzz: the server died" >&2; failed=1; }
if grep -qE "Internal Server Error|status code 5[0-9][0-9]|\[5[0-9][0-9]\]" "$work/fuzz.log"; then
    echo "api-fuzz: the server answered 5xx" >&2
    failed=1
fi
if [ "$failed" -ne 0 ]; then
    cat "$work/fuzz.log"
    cp "$work/fuzz.log" "${HYPERWARD_API_FUZZ_LOG:-/dev/null}" 2>/dev/null || true
    tail -n 20 "$work/server.log" >&2
    exit 1
fi
sed -n '/SUMMARY/,$p' "$work/fuzz.log"
if [ "$rc" -ne 0 ]; then
    echo "api-fuzz: schemathesis reported errors of its own (above); no check failed" >&2
fi
exit 0
