#!/usr/bin/env bash
# proxykit load benchmark: the same wrk load against a fast origin directly, nginx, HAProxy, Go's httputil (tuned
# and default transport) and proxykit, on loopback, interleaved, medians of rounds. Prints one table.
#
#   proxy-bench/load/compare.sh [--quick] [--rounds N] [--duration S] [--warmup S] [--jit-warmup S]
#                               [--extra-jit-warmup S] [--workers "1 2"]
#                               [--bodies "13 64k 1m"] [--systems "origin nginx haproxy go-tuned go proxykit"]
#                               [--access-log] [--forwarded] [--transport auto|epoll|io_uring|nio] [--dist DIR]
#                               [--rebuild]
#                               [--no-extra] [--keep] [--help]
#
# See proxy-bench/load/README.md for what it measures and how to read the table. Runs as root or with sudo for apt
# (like .ci/run); everything it starts listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)

# ------------------------------------------------------------------------------------------------ options
rounds=3
duration=3          # seconds of each measured wrk run
warmup=2            # seconds of 13-byte warm-up per system and worker count (plus 1 s per other body)
jit_warmup=26       # more seconds of warm-up for the JIT-compiled system (proxykit), before the common warm-up
extra_duration=2    # seconds of each 1,000-connection and upload run
extra_jit_warmup=12 # more seconds of warm-up for proxykit right before those runs (1,000 connections and uploads)
workers_list="1 2"
bodies="13 64k 1m"
systems="origin nginx haproxy go-tuned go proxykit"
connections=64
dist=""
rebuild=0
extra=1
keep=0
quick=0
access_log=0
forwarded=0         # X-Forwarded-For/-Host/-Proto upstream: off for nginx, HAProxy and proxykit unless --forwarded
transport=auto      # proxykit's transport setting (its default: epoll on Linux)

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --rounds) rounds=$2; shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --jit-warmup) jit_warmup=$2; shift ;;
        --extra-jit-warmup) extra_jit_warmup=$2; shift ;;
        --workers) workers_list=$2; shift ;;
        --bodies) bodies=$2; shift ;;
        --systems) systems=$2; shift ;;
        --dist) dist=$2; shift ;;
        --rebuild) rebuild=1 ;;
        --access-log) access_log=1 ;;
        --forwarded) forwarded=1 ;;
        --transport) transport=$2; shift ;;
        --no-extra) extra=0 ;;
        --keep) keep=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    rounds=1; duration=2; warmup=1; jit_warmup=1; extra_jit_warmup=0; extra_duration=1; workers_list="1"; bodies="13"
fi
for n in "$jit_warmup" "$extra_jit_warmup"; do
    case $n in ''|*[!0-9]*) echo "compare.sh: --jit-warmup and --extra-jit-warmup must be whole numbers (found: $n)" >&2
                            exit 2 ;; esac
done
for n in "$rounds" "$duration" "$warmup" "$extra_duration"; do
    case $n in ''|*[!0-9]*|0) echo "compare.sh: rounds and durations must be whole numbers > 0 (found: $n)" >&2
                             exit 2 ;; esac
done
for s in $systems; do
    case $s in origin|nginx|haproxy|go-tuned|go|proxykit) ;;
        *) echo "compare.sh: unknown system: $s (expected: origin nginx haproxy go-tuned go proxykit)" >&2; exit 2 ;;
    esac
done
for b in $bodies; do
    case $b in 13|64k|1m) ;; *) echo "compare.sh: unknown body: $b (expected: 13 64k 1m)" >&2; exit 2 ;; esac
done
case $transport in auto|epoll|io_uring|io-uring|nio) ;;
    *) echo "compare.sh: unknown transport: $transport (expected: auto epoll io_uring nio)" >&2; exit 2 ;;
esac

log() { printf '== %s\n' "$*" >&2; }

# ------------------------------------------------------------------------------------------------ tools
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ "${#need[@]}" -gt 0 ]; then
    log "installing: ${need[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
PATH=$PATH:/usr/sbin:/sbin
nginx_bin=$(command -v nginx)
haproxy_bin=$(command -v haproxy)

# ------------------------------------------------------------------------------------------------ distribution
if [ -z "$dist" ]; then
    dist=$(ls -d "$repo"/proxy-dist/target/proxykit-*/proxykit-* 2>/dev/null | head -n 1 || true)
    stale=0
    if [ -n "$dist" ] && [ "$rebuild" = 0 ]; then
        # rebuild when a source or pom is newer than the distribution's engine jar
        marker=$(ls "$dist"/lib/proxy-netty-*.jar 2>/dev/null | head -n 1 || true)
        if [ -z "$marker" ] || [ -n "$(find "$repo" -path "$repo/*/target" -prune -o \
                \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$marker" -print -quit)" ]; then
            stale=1
        fi
    fi
    if [ -z "$dist" ] || [ "$rebuild" = 1 ] || [ "$stale" = 1 ]; then
        # without the build's own --prepare step: this script prepares its copy of the installation itself
        log "building the distribution (mvn -B -q -DskipTests -Dproxykit.prepare.skip=true package -pl proxy-dist" \
            "-am)"
        (cd "$repo" && mvn -B -q -DskipTests -Dproxykit.prepare.skip=true package -pl proxy-dist -am >&2)
        dist=$(ls -d "$repo"/proxy-dist/target/proxykit-*/proxykit-* | head -n 1)
    else
        log "reusing the distribution $dist"
    fi
fi
[ -x "$dist/bin/proxykit" ] || { echo "compare.sh: no bin/proxykit in $dist" >&2; exit 1; }
dist=$(cd "$dist" && pwd)  # absolute: the work folder links to its lib/ and plugins/

# ------------------------------------------------------------------------------------------------ clean-up
work=$(mktemp -d /tmp/proxykit-load.XXXXXX)
declare -A pid_of=()
declare -a started=()

stop_all() {
    local p
    for p in "${started[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for _ in $(seq 50); do
        local alive=0
        for p in "${started[@]}"; do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${started[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    for p in "${started[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    started=()
}

cleanup() {
    local status=$?
    stop_all
    if [ "$keep" = 1 ]; then
        log "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ------------------------------------------------------------------------------------------------ ports, cores
port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
base=18080
while :; do
    ok=1
    for i in 0 1 2 3 4 5; do port_free $((base + i)) || ok=0; done
    [ "$ok" = 1 ] && break
    base=$((base + 10))
    [ "$base" -lt 19000 ] || { echo "compare.sh: no 6 free ports between 18080 and 19000" >&2; exit 1; }
done
declare -A port=([origin]=$base [nginx]=$((base + 1)) [haproxy]=$((base + 2)) [go-tuned]=$((base + 3))
                 [go]=$((base + 4)) [proxykit]=$((base + 5)))

ncpu=$(nproc)
clk_tck=$(getconf CLK_TCK)

# pinning: wrk and the origin on core 0, the proxy on cores 1..workers, when there are enough cores
pin_load=()
pin_origin=()
if [ "$ncpu" -ge 2 ]; then
    pin_origin=(taskset -c 0)
fi

# ------------------------------------------------------------------------------------------------ the origin
mkdir -p "$work/www" "$work/tmp" "$work/logs"
printf 'Hello, world\n' >"$work/www/13"                                  # 13 bytes
printf 'uploaded\n' >"$work/www/upload"
head -c 65536 /dev/zero | tr '\0' 'a' >"$work/www/64k"
head -c 1048576 /dev/zero | tr '\0' 'b' >"$work/www/1m"
head -c 1048576 /dev/zero | tr '\0' 'u' >"$work/upload.bin"

nginx_common() { # $1 = name: temp paths and pid file of one nginx instance
    cat <<EOF
daemon off;
pid $work/$1.pid;
error_log $work/logs/$1-error.log warn;
worker_rlimit_nofile $(ulimit -n);
user $(id -un) $(id -gn);
EOF
}
nginx_access_log() { # $1 = name: the proxy under test logs each request only with --access-log (as proxykit)
    if [ "$access_log" = 1 ] && [ "$1" = nginx ]; then
        echo "access_log $work/logs/nginx-access.log combined buffer=64k flush=1s;"
    else
        echo "access_log off;"
    fi
}
nginx_forwarded() { # the X-Forwarded-* headers proxykit adds by default, only with --forwarded
    if [ "$forwarded" = 1 ]; then
        echo '            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;'
        echo '            proxy_set_header X-Forwarded-Host $host;'
        echo '            proxy_set_header X-Forwarded-Proto $scheme;'
    fi
}
haproxy_forwarded() {
    if [ "$forwarded" = 1 ]; then
        echo '    option forwardfor'
        echo '    http-request set-header X-Forwarded-Host %[req.hdr(host)]'
        echo '    http-request set-header X-Forwarded-Proto http'
    fi
}
nginx_http_common() {
    cat <<EOF
    client_body_temp_path $work/tmp/$1-body;
    proxy_temp_path $work/tmp/$1-proxy;
    fastcgi_temp_path $work/tmp/$1-fastcgi;
    uwsgi_temp_path $work/tmp/$1-uwsgi;
    scgi_temp_path $work/tmp/$1-scgi;
    $(nginx_access_log "$1")
    keepalive_timeout 65s;
    keepalive_requests 10000000;
    default_type application/octet-stream;
EOF
}

cat >"$work/origin.conf" <<EOF
$(nginx_common origin)
worker_processes 1;
events { worker_connections 8192; }
http {
$(nginx_http_common origin)
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=1h;
    open_file_cache_valid 1h;
    server {
        listen 127.0.0.1:${port[origin]} backlog=4096;
        root $work/www;
        # POST /upload reads the whole body before answering, as an application would: "return" alone answers
        # at once, and a proxy that streams the body (request buffering off) must then close the client
        # connection it could not finish reading (wrk counts read errors). mirror_request_body makes nginx read
        # the body first; the static file answers POST with 405, turned into 200 with a short body.
        location = /upload {
            client_max_body_size 2m;
            client_body_buffer_size 2m;
            mirror /discard;
            mirror_request_body on;
            error_page 405 =200 @uploaded;
        }
        location = /discard { internal; return 204; }
        location @uploaded { return 200 "uploaded\n"; }
    }
}
EOF

cat >"$work/wrk-upload.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
local f = assert(io.open("$work/upload.bin", "rb"))
wrk.body = f:read("*a")
f:close()
EOF

# ------------------------------------------------------------------------------------------------ peers' configs
write_nginx_conf() { # $1 = workers
    cat >"$work/nginx.conf" <<EOF
$(nginx_common nginx)
worker_processes $1;
events { worker_connections 8192; }
http {
$(nginx_http_common nginx)
    upstream origin {
        server 127.0.0.1:${port[origin]};
        keepalive 1024;
        keepalive_requests 10000000;
    }
    server {
        listen 127.0.0.1:${port[nginx]} backlog=4096;
        client_max_body_size 2m;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
$(nginx_forwarded)
            proxy_request_buffering off;
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
}

write_haproxy_conf() { # $1 = workers
    cat >"$work/haproxy.cfg" <<EOF
global
    nbthread $1
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:${port[haproxy]}
    default_backend origin
backend origin
    http-reuse always
$(haproxy_forwarded)
    server origin 127.0.0.1:${port[origin]} maxconn 8000
EOF
}

cat >"$work/goproxy.go" <<'EOF'
// The Go peer: httputil.NewSingleHostReverseProxy, with Go's default Transport or a tuned one (-tuned).
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:3000", "address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:9292", "where requests go")
	tuned := flag.Bool("tuned", false, "keep 1024 idle upstream connections instead of http.DefaultTransport's 2")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	if *tuned {
		proxy.Transport = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
	}
	log.Fatal(http.ListenAndServe(*listen, proxy))
}
EOF
if [[ " $systems " == *" go"* ]]; then
    log "building the Go peer"
    (cd "$work" && GO111MODULE=off go build -o "$work/goproxy" goproxy.go >&2)
fi

# proxykit: a home of its own (bin copied, lib and plugins linked) so logs go to the work folder
pk_home=$work/proxykit-home
mkdir -p "$pk_home/bin" "$pk_home/conf" "$pk_home/logs"
cp "$dist/bin/proxykit" "$pk_home/bin/proxykit"
ln -s "$dist/lib" "$pk_home/lib"
ln -s "$dist/plugins" "$pk_home/plugins"
# the shipped logging configuration, unchanged (proxykit sets it up in code while it is the shipped file)
cp "$dist/conf/logback.xml" "$pk_home/conf/logback.xml"
write_proxykit_conf() { # $1 = workers
    local fwd=false
    [ "$forwarded" = 0 ] || fwd=true
    cat >"$pk_home/conf/proxykit.conf" <<EOF
proxykit {
  listen = "127.0.0.1:${port[proxykit]}"
  workers = $1
  transport = $transport
  shutdown-grace-period = 1s
  # as nginx's "keepalive 1024" here: up to 1024 idle upstream connections per event loop
  upstream-keepalive.max-idle-per-host = 1024
  # without --access-log, none, as nginx's here (access_log off)
  access-log = $([ "$access_log" = 1 ] && echo combined || echo off)
  # without --forwarded, the request goes upstream as nginx and HAProxy send it here: no X-Forwarded-* headers
  forwarded { x-forwarded-for = $fwd, x-forwarded-host = $fwd, x-forwarded-proto = $fwd }
  routes = [
    { upstreams = ["http://127.0.0.1:${port[origin]}"] }
  ]
}
EOF
}

# proxykit is prepared as a deployment would be (for example in a container image's build step): `bin/proxykit
# --prepare` records the class-data archive, so that the measured starts map it. That training run's own start has
# no archive yet: the cold start, reported too. Pinned like the 1-worker proxy.
prepare_proxykit() {
    local pin=()
    [ "$ncpu" -lt 2 ] || pin=(taskset -c 1)
    write_proxykit_conf 1
    log "preparing proxykit: bin/proxykit --prepare"
    if ! "${pin[@]}" "$pk_home/bin/proxykit" --prepare --config "$pk_home/conf/proxykit.conf" \
            >"$work/logs/proxykit-prepare.out" 2>&1; then
        echo "compare.sh: bin/proxykit --prepare failed; its output:" >&2
        cat "$work/logs/proxykit-prepare.out" >&2
        exit 1
    fi
    startup_notes+=("cold, without a class-data archive (the --prepare run, 1 core): $(grep -o \
        'started in [0-9]* ms, engine ready in [0-9]* ms' "$work/logs/proxykit-prepare.out" | head -n 1 || true)")
}

# ------------------------------------------------------------------------------------------------ processes
wait_ready() { # $1 = system: until GET /13 through it answers 200 with the 13 bytes, at most 20 s
    local url="http://127.0.0.1:${port[$1]}/13" i
    for i in $(seq 200); do
        if [ "$(curl -s --max-time 1 "$url" 2>/dev/null)" = "Hello, world" ]; then
            return 0
        fi
        if ! kill -0 "${pid_of[$1]}" 2>/dev/null; then
            echo "compare.sh: $1 exited at start; its output:" >&2
            cat "$work/logs/$1.out" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
    echo "compare.sh: $1 did not answer GET /13 on ${port[$1]} within 20 s; its output:" >&2
    cat "$work/logs/$1.out" >&2 || true
    exit 1
}

start_system() { # $1 = system, $2 = workers; pid in pid_of[$1]
    local s=$1 w=$2 pin=()
    if [ "$s" != origin ] && [ "$ncpu" -ge $((w + 1)) ]; then
        pin=(taskset -c "1-$w")
    fi
    case $s in
        origin)
            "${pin_origin[@]}" "$nginx_bin" -c "$work/origin.conf" -p "$work" >"$work/logs/origin.out" 2>&1 & ;;
        nginx)
            write_nginx_conf "$w"
            "${pin[@]}" "$nginx_bin" -c "$work/nginx.conf" -p "$work" >"$work/logs/nginx.out" 2>&1 & ;;
        haproxy)
            write_haproxy_conf "$w"
            "${pin[@]}" "$haproxy_bin" -db -f "$work/haproxy.cfg" >"$work/logs/haproxy.out" 2>&1 & ;;
        go-tuned)
            GOMAXPROCS=$w "${pin[@]}" "$work/goproxy" -tuned -listen "127.0.0.1:${port[$s]}" \
                -upstream "http://127.0.0.1:${port[origin]}" >"$work/logs/$s.out" 2>&1 & ;;
        go)
            GOMAXPROCS=$w "${pin[@]}" "$work/goproxy" -listen "127.0.0.1:${port[$s]}" \
                -upstream "http://127.0.0.1:${port[origin]}" >"$work/logs/$s.out" 2>&1 & ;;
        proxykit)
            write_proxykit_conf "$w"
            local t0
            t0=$(date +%s%N)
            "${pin[@]}" "$pk_home/bin/proxykit" --config "$pk_home/conf/proxykit.conf" \
                >"$work/logs/proxykit.out" 2>&1 &
            pid_of[$s]=$!
            started+=("$!")
            local i
            for i in $(seq 400); do
                grep -q 'listening on' "$work/logs/proxykit.out" 2>/dev/null && break
                sleep 0.025
            done
            startup_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
            ready_line=$(grep -o 'listening on.*' "$work/logs/proxykit.out" | head -n 1 || true)
            log "proxykit ($w worker(s)): 'listening on' ${startup_ms} ms after launch; ${ready_line}"
            startup_notes+=("workers=$w: first 'listening on' ${startup_ms} ms after launch (proxykit's own line:"\
" $(grep -o 'started in [0-9]* ms, engine ready in [0-9]* ms' <<<"$ready_line" || echo "$ready_line"))")
            wait_ready "$s"
            return ;;
    esac
    pid_of[$s]=$!
    started+=("$!")
    wait_ready "$s"
}

stop_system() { # $1 = system
    local p=${pid_of[$1]:-} i
    [ -n "$p" ] || return 0
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 100); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    local kept=()
    for i in "${started[@]}"; do
        [ "$i" = "$p" ] || kept+=("$i")
    done
    started=("${kept[@]}")
    unset "pid_of[$1]"
}

pids_of() { # $1 = system: the process and its children (nginx workers)
    local p=${pid_of[$1]}
    echo "$p" $(pgrep -P "$p" 2>/dev/null || true)
}

cpu_ticks() { # sum of utime+stime of the given pids, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)
    local p
    for p in "$@"; do
        cat "/proc/$p/stat" 2>/dev/null || true
    done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

rss_kib() { # sum of VmRSS of the given pids, KiB
    local total=0 p v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# ------------------------------------------------------------------------------------------------ one wrk run
declare -A results=()   # key "run|workers|body|system" -> lines "rps p50 p99 rss cpu errors"

to_ms() { # wrk latency like 346.00us, 1.23ms, 2.01s -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

path_of() { case $1 in upload) echo /upload ;; *) echo "/$1" ;; esac; }

run_wrk() { # $1 = system, $2 = body (13 | 64k | 1m | upload), $3 = connections, $4 = seconds; prints wrk's output
    local s=$1 body=$2 c=$3 d=$4 script=()
    [ "$body" = upload ] && script=(-s "$work/wrk-upload.lua")
    "${pin_load[@]}" wrk -t1 -c"$c" -d"${d}s" --timeout 10s --latency "${script[@]}" \
        "http://127.0.0.1:${port[$s]}$(path_of "$body")" 2>&1
}

measure() { # $1 = run label, $2 = workers, $3 = system, $4 = body, $5 = connections, $6 = seconds
    local label=$1 w=$2 s=$3 body=$4 c=$5 d=$6
    local pids cpu0 cpu1 out peak=0 r sampler
    pids=$(pids_of "$s")
    cpu0=$(cpu_ticks $pids)
    run_wrk "$s" "$body" "$c" "$d" >"$work/wrk.out" &
    local wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null; do
        r=$(rss_kib $pids)
        [ "$r" -gt "$peak" ] && peak=$r
        sleep 0.2
    done
    wait "$wrk_pid" || true
    cpu1=$(cpu_ticks $pids)
    out=$(cat "$work/wrk.out")
    local requests rps p50 p99 errors cpu_us
    requests=$(awk '/requests in/ {print $1; exit}' <<<"$out")
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2; exit}' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2; exit}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2; exit}' <<<"$out")")
    errors=$(awk '/Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF}
                  END {print e + 0}' <<<"$out")
    if [ -z "$requests" ] || [ -z "$rps" ]; then
        echo "compare.sh: wrk against $s ($body) printed no result:" >&2
        echo "$out" >&2
        requests=0; rps=0
    fi
    cpu_us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$clk_tck" -v n="$requests" \
        'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "nan" }')
    results["$label|$w|$body|$s"]+="$rps $p50 $p99 $peak $cpu_us $errors"$'\n'
    log "$(printf '%-8s w=%s %-6s %-9s %8s req/s  p50 %7s ms  p99 %7s ms  rss %6d KiB  cpu %6s us/req  errors %s' \
        "$label" "$w" "$body" "$s" "$rps" "$p50" "$p99" "$peak" "$cpu_us" "$errors")"
}

warm() { # $1 = system, $2 = body, $3 = seconds, $4 = connections (default: the main runs'): in runs of at most 2 s,
          # so connections open and close a few times
    local left=$3 c=${4:-$connections} d
    while [ "$left" -gt 0 ]; do
        d=$(( left < 2 ? left : 2 ))
        run_wrk "$1" "$2" "$c" "$d" >/dev/null || true
        left=$((left - d))
    done
}

# ------------------------------------------------------------------------------------------------ the runs
startup_notes=()
t_begin=$(date +%s)
[[ " $systems " != *" proxykit "* ]] || prepare_proxykit
load_begin=$(cut -d' ' -f1-3 /proc/loadavg)
proxies=()
for s in $systems; do
    [ "$s" = origin ] || proxies+=("$s")
done
# The order of the systems in each round (A B C, A B C, ...). This machine's speed drifts and has slow patches lasting
# seconds, so runs far apart in time differ more than runs side by side: proxykit runs right after nginx, the peer its
# goals are set against.
order=()
for s in $systems; do
    if [ "$s" = proxykit ] && [[ " $systems " == *" nginx "* ]]; then
        continue
    fi
    order+=("$s")
    if [ "$s" = nginx ] && [[ " $systems " == *" proxykit "* ]]; then
        order+=(proxykit)
    fi
done
log "work folder $work; ports ${port[origin]}-${port[proxykit]}; $ncpu cores; rounds $rounds, ${duration}s runs"
log "each round measures, in this order: ${order[*]}"
start_system origin 1

first_workers=1
for w in $workers_list; do
    if [ "$ncpu" -ge $((w + 1)) ]; then
        pin_load=(taskset -c 0)
    else
        pin_load=()
    fi
    for s in "${proxies[@]}"; do
        start_system "$s" "$w"
    done
    log "warm-up (workers=$w)"
    # A JVM runs its hot path interpreted, then compiled by C1, then by C2, and recompiles as profiles settle:
    # on this 2-core machine, with the JIT compiler sharing the proxy's pinned core, proxykit needs about half a
    # minute of load to reach its steady state (see the README). nginx, HAProxy and Go run ahead-of-time compiled
    # code and are at full speed from the first second, so they get the common warm-up only.
    if [[ " $systems " == *" proxykit "* ]] && [ "$jit_warmup" -gt 0 ]; then
        jit_left=$jit_warmup
        for b in $bodies; do
            if [ "$b" != 13 ] && [ "$jit_left" -gt 2 ]; then
                warm proxykit "$b" 2
                jit_left=$((jit_left - 2))
            fi
        done
        warm proxykit 13 "$jit_left"
    fi
    for s in "${proxies[@]}"; do # the origin is warmed by the proxies' warm-up, which all goes through it
        warm "$s" 13 "$warmup"
        for b in $bodies; do
            [ "$b" = 13 ] || warm "$s" "$b" 1
        done
    done
    for b in $bodies; do
        for r in $(seq "$rounds"); do
            for s in "${order[@]}"; do
                measure "c$connections" "$w" "$s" "$b" "$connections" "$duration"
            done
        done
    done
    if [ "$extra" = 1 ] && [ "$first_workers" = 1 ]; then
        # 1,000 connections at once and 1 MiB uploads run code that the runs above hardly did (accepting, opening
        # upstream connections, request bodies): measured with jstat -compiler, proxykit's JIT compiled for 2.4 and
        # 2.7 s in its first two 3-second runs of 1,000 connections, on the proxy's own core, then for 0.1 s
        if [[ " $systems " == *" proxykit "* ]]; then
            jit_left=$extra_jit_warmup
            while [ "$jit_left" -gt 0 ]; do
                warm proxykit 13 2 1000
                jit_left=$((jit_left - 2))
                if [ "$jit_left" -gt 2 ]; then
                    warm proxykit upload 2
                    jit_left=$((jit_left - 2))
                fi
            done
        fi
        for s in $systems; do
            warm "$s" 13 1 1000
            warm "$s" upload 1
        done
        for r in $(seq "$rounds"); do
            for s in "${order[@]}"; do
                measure c1000 "$w" "$s" 13 1000 "$extra_duration"
            done
            for s in "${order[@]}"; do
                measure upload "$w" "$s" upload "$connections" "$extra_duration"
            done
        done
    fi
    first_workers=0
    for s in "${proxies[@]}"; do
        stop_system "$s"
    done
done
t_end=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------------------------ the table
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
                                             else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" 'NF { print $c }'; }

echo
echo "proxykit load benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $ncpu cores, $(java -version 2>&1 | head -n 1)"
echo "wrk -t1 --latency, ${duration}s runs (extra runs ${extra_duration}s), medians of $rounds round(s), interleaved"\
" (order: ${order[*]});"
echo "pinned (proxy on cores 1..workers, wrk and origin on core 0) when cores > workers; took $((t_end - t_begin)) s;"
echo "warm-up per worker count: ${warmup}s of 13 B and 1 s per other body for every proxy, before it ${jit_warmup}s more for proxykit (JIT);"
if [ "$extra" = 1 ]; then
    echo "before the 1,000-connection and upload runs: 1 s of each for every system, before it ${extra_jit_warmup}s more of them for proxykit (JIT);"
fi
echo "load average before: $load_begin, after: $load_end;"\
" access logs: $([ "$access_log" = 1 ] && echo "on (nginx, proxykit)" || echo off);"\
" X-Forwarded-* upstream: $([ "$forwarded" = 1 ] && echo "on (nginx, HAProxy, proxykit; Go adds X-Forwarded-For in any case)" \
    || echo "off (Go adds X-Forwarded-For in any case)"); proxykit transport = $transport"
for n in "${startup_notes[@]}"; do
    echo "proxykit start-up, $n"
done
echo
printf '| %-7s | %s | %-6s | %-9s | %9s | %8s | %8s | %8s | %11s | %7s | %7s | %6s |\n' \
    run workers body system "req/s" "p50 ms" "p99 ms" "RSS MiB" "CPU us/req" "req/s÷nginx" "CPU÷nginx" errors
printf '|%s|\n' "---------|---------|--------|-----------|-----------|----------|----------|----------|-------------|-------------|-----------|--------"
for label in "c$connections" c1000 upload; do
    for w in $workers_list; do
        for b in $bodies upload; do
            for s in $systems; do
                key="$label|$w|$b|$s"
                [ -n "${results[$key]:-}" ] || continue
                data=${results[$key]}
                rps=$(col 1 <<<"$data" | median)
                p50=$(col 2 <<<"$data" | median)
                p99=$(col 3 <<<"$data" | median)
                rss=$(col 4 <<<"$data" | sort -g | tail -n 1)
                cpu=$(col 5 <<<"$data" | median)
                err=$(col 6 <<<"$data" | awk '{ e += $1 } END { print e + 0 }')
                nkey="$label|$w|$b|nginx"
                if [ -n "${results[$nkey]:-}" ]; then
                    nrps=$(col 1 <<<"${results[$nkey]}" | median)
                    ncpu_req=$(col 5 <<<"${results[$nkey]}" | median)
                    ratio=$(awk -v a="$rps" -v b="$nrps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
                    cratio=$(awk -v a="$cpu" -v b="$ncpu_req" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
                else
                    ratio=-; cratio=-
                fi
                bname=$b
                [ "$b" = 13 ] && bname=13B
                [ "$b" = upload ] && bname=1m-up
                printf '| %-7s | %7s | %-6s | %-9s | %9.0f | %8.3f | %8.3f | %8.1f | %11s | %11s | %9s | %6s |\n' \
                    "$label" "$w" "$bname" "$s" "$rps" "$p50" "$p99" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
                    "$cpu" "$ratio" "$cratio" "$err"
            done
        done
    done
done
