#!/bin/sh
# Smoke tests for the tokio image: one PASS/FAIL line per program, then "N passed, N failed".
#
#   sh sandbox-images/tokio/smoke.sh [PROGRAM...]        # natively, all programs by default
#   RUNNER="node bin/starry-sandbox.js --" sh sandbox-images/tokio/smoke.sh
#
# RUNNER is put before every program of the image (servers and clients); the shell, grep,
# sleep and the optional curl run natively. Every step is bounded by timeout(1):
# SMOKE_TIMEOUT seconds per client or wait (default 20), and servers are killed at the end
# of their test (or after 4 * SMOKE_TIMEOUT at most). BIN overrides where the programs are
# (default: ../out/tokio next to this script; build them with `npm run images`).
# Exit status: 0 when everything passed.

T=${SMOKE_TIMEOUT:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$HERE/../out/tokio}
BIN=$(cd "$BIN" 2>/dev/null && pwd) || { echo "smoke: no $HERE/../out/tokio: run npm run images first" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/tokio-smoke.XXXXXX")
SERVERS=""
PASSED=0
FAILED=0

cleanup() {
    for pid in $SERVERS; do kill "$pid" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run PROGRAM ARGS...: a client, under RUNNER, bounded.
run() {
    prog=$1; shift
    timeout "$T" $RUNNER "$BIN/$prog" "$@"
}

# wait_for FILE TEXT [PID]: until FILE contains TEXT (fixed string), at most T seconds,
# giving up early when process PID is gone.
wait_for() {
    i=0
    while [ $i -lt $((T * 10)) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        [ -z "$3" ] || kill -0 "$3" 2>/dev/null || { grep -qF -- "$2" "$1" 2>/dev/null; return; }
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start TAG PROGRAM ARGS...: start a server writing to $W/TAG.out and $W/TAG.err, wait for its
# "listening on ADDR" line and put ADDR in $ADDR. Returns non-zero if it never says so.
start() {
    tag=$1; prog=$2; shift 2
    # a stale TAG.out from an earlier test must not answer for this server: the background
    # shell truncates it only when it gets to run
    rm -f "$W/$tag.out" "$W/$tag.err"
    timeout $((T * 4)) $RUNNER "$BIN/$prog" "$@" >"$W/$tag.out" 2>"$W/$tag.err" &
    SERVERS="$SERVERS $!"
    ADDR=""
    wait_for "$W/$tag.out" "listening on " $! ||
        { echo "  $prog never said 'listening on'; its stderr:"; tail -c 600 "$W/$tag.err" | sed 's/^/    /'; return 1; }
    ADDR=$(sed -n 's/^listening on //p' "$W/$tag.out" | head -n 1)
}

stop_servers() {
    for pid in $SERVERS; do kill "$pid" 2>/dev/null; done
    for pid in $SERVERS; do wait "$pid" 2>/dev/null; done
    SERVERS=""
}

# expect_same WHAT EXPECTED_FILE GOT_FILE
expect_same() {
    cmp -s "$2" "$3" && return 0
    echo "  $1: expected $(wc -c <"$2") bytes, got $(wc -c <"$3"):"
    diff "$2" "$3" | head -n 10 | sed 's/^/    /'
    return 1
}

# expect_in WHAT FILE TEXT
expect_in() {
    grep -qF -- "$3" "$2" && return 0
    echo "  $1: no '$3' in:"
    head -c 600 "$2" | sed 's/^/    /'
    return 1
}

result() { # result PROGRAM STATUS [note]
    if [ "$2" -eq 0 ]; then
        PASSED=$((PASSED + 1)); echo "PASS $1${3:+ ($3)}"
    else
        FAILED=$((FAILED + 1)); echo "FAIL $1${3:+ ($3)}"
    fi
}

# ---- the tests; each prints its details on failure and returns non-zero ----

t_echo_tcp() {
    start echo echo-tcp 127.0.0.1:0 || return 1
    printf 'one\ntwo\nthree\n' >"$W/in"
    run connect-tcp "$ADDR" <"$W/in" >"$W/got" || { echo "  connect-tcp exited $?"; return 1; }
    expect_same "echo" "$W/in" "$W/got"
}

t_connect_tcp() { # a payload larger than the socket buffers: the echo must drain before exit
    start echo echo-tcp 127.0.0.1:0 || return 1
    seq 1 40000 >"$W/in"
    run connect-tcp "$ADDR" <"$W/in" >"$W/got" || { echo "  connect-tcp exited $?"; return 1; }
    expect_same "echo of 40000 lines" "$W/in" "$W/got"
}

t_echo_udp() {
    start echo echo-udp 127.0.0.1:0 || return 1
    printf 'ping\n' >"$W/in"
    run connect-udp "$ADDR" <"$W/in" >"$W/got" || { echo "  connect-udp exited $?"; return 1; }
    expect_same "echo" "$W/in" "$W/got" && wait_for "$W/echo.out" "echoed 5/5 bytes" &&
        expect_in "server log" "$W/echo.out" "echoed 5/5 bytes"
}

t_connect_udp() { # three separate datagrams, stdin closed while replies may be in flight
    start echo echo-udp 127.0.0.1:0 || return 1
    (printf 'alpha\n'; sleep 0.2; printf 'beta\n'; sleep 0.2; printf 'gamma\n') |
        run connect-udp "$ADDR" >"$W/got" || { echo "  connect-udp exited $?"; return 1; }
    printf 'alpha\nbeta\ngamma\n' >"$W/want"
    expect_same "echo" "$W/want" "$W/got"
}

t_print_each_packet_and_hello_world() { # sets HELLO_STATUS for the hello_world line
    HELLO_STATUS=1
    start pep print_each_packet 127.0.0.1:0 || return 1
    run hello_world "$ADDR" >"$W/hello" 2>&1
    st=$?
    if [ $st -eq 0 ] && expect_in "hello_world output" "$W/hello" "success=true"; then HELLO_STATUS=0
    else echo "  hello_world exited $st"; fi
    wait_for "$W/pep.out" 'bytes: b"hello world\n"'
    expect_in "print_each_packet output" "$W/pep.out" 'bytes: b"hello world\n"'
}

t_proxy() {
    start echo echo-tcp 127.0.0.1:0 || return 1
    echo_addr=$ADDR
    start proxy proxy 127.0.0.1:0 "$echo_addr" || return 1
    seq 1 5000 >"$W/in"
    run connect-tcp "$ADDR" <"$W/in" >"$W/got" || { echo "  connect-tcp exited $?"; return 1; }
    expect_same "echo through the proxy" "$W/in" "$W/got" || return 1
    n=$(wc -c <"$W/in" | tr -d ' ')
    wait_for "$W/proxy.out" "$n bytes up, $n bytes down"
    expect_in "proxy log" "$W/proxy.out" "$n bytes up, $n bytes down"
}

t_tinydb() {
    start db tinydb 127.0.0.1:0 || return 1
    printf 'GET foo\nSET foo tokio\nGET foo\nGET nope\nSET k my awesome string\nGET k\nDEL k\n' |
        run connect-tcp "$ADDR" >"$W/got" || { echo "  connect-tcp exited $?"; return 1; }
    cat >"$W/want" <<'EOF'
foo = bar
set foo = `tokio`, previous: Some("bar")
foo = tokio
error: no key nope
set k = `my awesome string`, previous: None
k = my awesome string
error: unknown command: DEL
EOF
    expect_same "answers" "$W/want" "$W/got"
}

t_tinyhttp() {
    start http tinyhttp 127.0.0.1:0 || return 1
    # Three pipelined requests on one connection; the last asks to close it.
    printf 'GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        run connect-tcp "$ADDR" >"$W/got" || { echo "  connect-tcp exited $?"; return 1; }
    tr -d '\r' <"$W/got" >"$W/got.lf"
    [ "$(grep -o 'HTTP/1.1 200 OK' "$W/got.lf" | wc -l)" -eq 2 ] || { echo "  expected two 200 answers:"; sed 's/^/    /' "$W/got.lf" | head -n 30; return 1; }
    expect_in "answers" "$W/got.lf" "Content-Length: 13" &&
        expect_in "answers" "$W/got.lf" "Hello, World!" &&
        expect_in "answers" "$W/got.lf" "Content-Length: 27" &&
        expect_in "answers" "$W/got.lf" '{"message":"Hello, World!"}' &&
        expect_in "answers" "$W/got.lf" "HTTP/1.1 404 Not Found" || return 1
    command -v curl >/dev/null || { NOTE="no curl: raw requests only"; return 0; }
    # curl (native) fetches both pages over one kept-alive connection.
    timeout "$T" curl -sv --max-time "$T" "http://$ADDR/plaintext" "http://$ADDR/json" >"$W/curl" 2>"$W/curl.err" ||
        { echo "  curl failed:"; tail -n 5 "$W/curl.err" | sed 's/^/    /'; return 1; }
    printf 'Hello, World!{"message":"Hello, World!"}' >"$W/want"
    expect_same "curl bodies" "$W/want" "$W/curl" && expect_in "curl log" "$W/curl.err" "e-using"
}

t_chat() {
    start chat chat 127.0.0.1:0 || return 1
    a=$W/alice b=$W/bob
    : >"$a"; : >"$b"
    # alice: joins, answers bob once she hears him, leaves after bob has left.
    (echo alice; wait_for "$a" "bob: hello" && echo "hi bob"; wait_for "$a" "bob has left the chat") |
        run connect-tcp "$ADDR" >"$a" 2>&1 &
    alice=$!
    wait_for "$W/chat.out" "alice has joined the chat" || { echo "  alice never joined"; return 1; }
    # bob: joins after alice, says hello once alice saw him join, leaves once alice answered.
    (echo bob; wait_for "$a" "bob has joined the chat" && echo hello; wait_for "$b" "alice: hi bob") |
        run connect-tcp "$ADDR" >"$b" 2>&1 || { echo "  bob's connect-tcp exited $?"; return 1; }
    wait "$alice" || { echo "  alice's connect-tcp exited $?"; return 1; }
    for line in "Please enter your username:" "bob has joined the chat" "bob: hello" "bob has left the chat"; do
        expect_in "alice saw" "$a" "$line" || return 1
    done
    expect_in "bob saw" "$b" "Please enter your username:" && expect_in "bob saw" "$b" "alice: hi bob" || return 1
    if grep -qF "bob: hello" "$b"; then echo "  bob got his own line back"; return 1; fi
}

t_udp_codec() {
    run udp-codec >"$W/got" 2>&1 || { echo "  udp-codec exited $?:"; sed 's/^/    /' "$W/got"; return 1; }
    [ "$(grep -c '^\[b\] recv: PING$' "$W/got")" -eq 4 ] && [ "$(grep -c '^\[a\] recv: PONG$' "$W/got")" -eq 4 ] &&
        expect_in "output" "$W/got" "done!" && return 0
    echo "  expected 4 PINGs, 4 PONGs and done!:"; sed 's/^/    /' "$W/got"
    return 1
}

# ---- run them ----

want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
ONLY="$*"

one() { # one PROGRAM TESTFUNCTION
    want "$1" || return 0
    NOTE=""
    "$2"
    st=$?
    stop_servers
    result "$1" $st "$NOTE"
}

one echo-tcp t_echo_tcp
one connect-tcp t_connect_tcp
one echo-udp t_echo_udp
one connect-udp t_connect_udp
if want print_each_packet || want hello_world; then
    t_print_each_packet_and_hello_world
    st=$?
    stop_servers
    want print_each_packet && result print_each_packet $st
    want hello_world && result hello_world "$HELLO_STATUS"
fi
one proxy t_proxy
one tinydb t_tinydb
one tinyhttp t_tinyhttp
one chat t_chat
one udp-codec t_udp_codec

echo "smoke: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
