#!/bin/bash
# The fake `docker` on the harness's PATH: it hands its call to the fake docker server running in the
# harness's process (fakes/bifrost/docker_server.py) over loopback TCP and replays the answer, so a docker
# call costs a bash start, not a Python start. It runs builtins only: no fork, no exec.
#
# Request (one printf), every field ends with a NUL byte (no field can hold one: they are bash strings):
#   call TOKEN PID ARGC ARG... HAS_STDIN STDIN
# TOKEN is the server's own (written into this script with the port): any local user can reach the port, and the
# server reads the environment of the process a request names and the files its call names.
# PID is this process ($$): the server reads the environment this process was started with from
# /proc/PID/environ, byte for byte (bash would need a loop over every variable to send it: a few ms a call).
# STDIN is read to its end only when the call reads stdin (`docker exec -i ...`, as argv's first or second
# word), otherwise it is empty. A write(2) that fails (bash's trap handlers have no SA_RESTART, so a signal
# can fail it with EINTR) ends the printf: the server then gets a start of the request and the connection's
# end, which is no call.
# Reply: (KIND TEXT) pairs, KIND one of out | err (a line for stdout or stderr) | exit (the exit code). The
# server sends it once the call is recorded.
#
# On SIGINT, SIGTERM or SIGHUP it exits 128 + NUMBER, as a docker command ended by it does. A signal before
# the request is written means no call: the daemon never saw one. A signal after it is sent as
# `signal NUMBER` on the call's own connection, behind the request, so that it cannot overtake the call: the
# server ends the call's wait with it, and the client exits once the reply shows the call recorded. A signal
# while the request is being written is held until the write is over: a whole request is then told of it,
# a cut one (the write failed) is no call.
#
# Exit codes: the fake docker's own; 128 + N after signal N; 125 when FAKE_DOCKER_HOME is not set, no server
# listens on the port, the request cannot be sent, or the server ends the call without an exit code
# (docker's code for its own errors).
set -euo pipefail

port=0 # the harness writes its server's port here
token="" # the harness writes its server's token here

fail() {
  printf 'fake docker: %s\n' "$1" >&2
  exit 125
}

# What a signal finds: idle (no request written), writing, sent (the server has the call), recorded (the
# reply has begun: the server sends it once the call is recorded).
stage=idle
held=0 # a signal that came while the request was being written

# shellcheck disable=SC2329 # run by the traps below and once the request is written
on_signal() {
  local number="$1"
  if [[ "$stage" == writing ]]; then
    ((held)) || held="$number"
    return
  fi
  trap '' INT TERM HUP
  if [[ "$stage" == sent ]]; then
    trap '' PIPE # the server may have replied and closed already: a failed write is then no matter
    printf '%s\0' signal "$number" 1>&"$server_fd" 2>/dev/null || true
    IFS= read -r -d '' -t 15 -u "$server_fd" _ || true # a bound for a broken server: the reply is prompt
  fi
  exit $((128 + number))
}
trap 'on_signal 1' HUP
trap 'on_signal 2' INT
trap 'on_signal 15' TERM

if [[ -z "${FAKE_DOCKER_HOME-}" ]]; then
  fail "FAKE_DOCKER_HOME is not set: export the directory of the Stack's fake docker (Stack.fake_home)"
fi

has_stdin=0
stdin=""
if [[ "${1-}" == "-i" || "${2-}" == "-i" ]]; then
  has_stdin=1
  IFS= read -r -d '' stdin || true
fi

if ! { exec {server_fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
  fail "no fake docker server listens on 127.0.0.1:$port: this docker works only while the harness process that wrote it runs"
fi
stage=writing
if printf '%s\0' call "$token" "$$" "$#" "$@" "$has_stdin" "$stdin" 1>&"$server_fd" 2>/dev/null; then
  stage=sent
else
  stage=unsent
fi
((held == 0)) || on_signal "$held"
[[ "$stage" == sent ]] || fail "the request could not be sent to the fake docker server on 127.0.0.1:$port"

# The reply's first field comes once the call is done, which may be minutes (block_on): it is awaited in reads of
# at most a second, so that a signal that lands just before a read begins (bash then blocks in read(2) with its
# trap still pending) runs its trap within a second instead of after the call. A read that times out keeps what
# it read; the rest of the field follows.
kind=""
until IFS= read -r -d '' -t 1 -u "$server_fd" part; do
  (($? > 128)) || fail "the fake docker server ended the call without an exit code"
  kind+="$part"
done
kind+="$part"
stage=recorded
while IFS= read -r -d '' -u "$server_fd" text; do
  case "$kind" in
    out) printf '%s\n' "$text" ;;
    err) printf '%s\n' "$text" >&2 ;;
    exit) exit "$text" ;;
    *) fail "the fake docker server sent an unknown reply kind '$kind'" ;;
  esac
  IFS= read -r -d '' -u "$server_fd" kind || break
done
fail "the fake docker server ended the call without an exit code"
