#!/bin/sh
# Tokio's echo-tcp (sandbox-images/tokio) on a free port and the load generator against it,
# both in one shell (one sandbox when run under it): prints "rps p50_us p99_us".
# Usage: echo_bench.sh ECHO_TCP ECHO_LOAD CLIENTS SECONDS
srv="$1"; load="$2"; n="$3"; secs="$4"; out=$(mktemp)
"$srv" 127.0.0.1:0 > "$out" &
pid=$!
i=0; while ! grep -q "listening on" "$out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
addr=$(sed -n 's/^listening on //p' "$out" | head -1)
"$load" "$addr" "$n" "$secs"
kill $pid; wait $pid 2>/dev/null; rm -f "$out"
