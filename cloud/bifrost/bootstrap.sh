#!/usr/bin/env bash
# Converges the Bifrost docker compose stack in /etc/bifrost, stage by stage.
#
#   bash /etc/bifrost/bootstrap.sh --stage-timeout SECONDS [--lock-timeout SECONDS]
#
# Stages, each one `docker compose up -d --wait --wait-timeout SECONDS <services>`:
#   edge       traefik
#   authentik  authentik-postgres, authentik-migrate (one-shot), authentik-server, authentik-worker
#   token      the Authentik API token `bifrost-automation`, ensured with `ak shell` in authentik-worker
#   netbird    netbird-server, netbird-dashboard
#   proxy-token  the NetBird proxy access token, issued once on the VPS with `netbird-server admin token
#              create` (combined/cmd/admin.go and management/cmd/token/token.go of netbirdio/netbird
#              v0.77: it prints `Token: <token>` once) into env/netbird-proxy-issued.env (0600), unless
#              env/netbird-proxy.env holds one from the stack config; the token never leaves the VPS
#   optional   netbird-proxy (profile proxy) and netbird-agent (profile agent), each only once one of
#              its env files is non-empty; otherwise the next step is printed
#
# Exit codes:
#   0  the stack is up
#   1  unexpected internal error
#   2  preflight failed: bad arguments, docker or docker compose missing, docker daemon unreachable
#      or older than 25, the list of rendered files ($BIFROST_DIR/rendered-files) missing or malformed, a file
#      it names missing or not mode 0600 (a required one empty), an unrendered ${...} in netbird/config.yaml,
#      or a compose file that does not validate
#   3  a stage failed: a service unhealthy, exited, or not ready within --stage-timeout
#   4  the Authentik API token could not be ensured
#   5  another bootstrap run held the lock longer than --lock-timeout (default: the stage timeout)
#   6  the lock file $BIFROST_DIR/.bootstrap.lock could not be opened for writing (read-only file system,
#      no space or inodes left, or the path is not a regular file)
#   7  the NetBird proxy token could not be issued (`netbird-server admin token create` failed)
#   129  interrupted by SIGHUP, 130 by SIGINT, 143 by SIGTERM (128 + the signal number): the signal
#   130  is passed on to the running docker command, which stops; the script exits at once, the lock is
#   143  released and nothing is half-written, so run it again
#
# Environment (all optional): BIFROST_DIR, the stack directory (default /etc/bifrost);
# BIFROST_RETRY_DELAY, the first pause in seconds between `ak shell` attempts (default 5, doubled after
# each failed attempt, at most 60).
#
# All output goes to stdout, stderr merged, so the log in `pulumi up` keeps its order. Whatever reaches
# `pulumi up` is also kept in its state, so every line the script prints, container logs included, first
# passes a filter that replaces each secret value the VPS holds with [redacted]: the values of the env
# files under env/ (except the keys in plain_env_keys) and the secrets of netbird/config.yaml, longest
# first, compared as fixed strings. Beyond that it never prints the env files or the NetBird config, nor
# `docker compose config` output, nor what `ak shell` or `admin token create` print beyond the status.
# It writes nothing but its lock file, the issued proxy token (temp file, then mv) and a 0600 scratch
# file for command output (removed on exit), so an interrupted run leaves no half-written state: run it
# again.
set -Eeuo pipefail
umask 077
exec 2>&1

readonly dir="${BIFROST_DIR:-/etc/bifrost}"
readonly retry_delay="${BIFROST_RETRY_DELAY:-5}"
readonly token_attempts=8
readonly max_retry_delay=60
readonly log_tail=60
readonly token_script="authentik/ensure_api_token.py"
# Written here, never by Pulumi: the proxy token issued on the VPS. Compose reads it before the
# Pulumi-rendered env/netbird-proxy.env, so a token from the stack config wins.
readonly issued_proxy_env="env/netbird-proxy-issued.env"
readonly proxy_token_name="bifrost-proxy"
readonly netbird_server_command=(/go/bin/netbird-server --config /etc/netbird/config.yaml)

# The files Pulumi renders here, each mode 0600, are listed by the program itself in this file (no secret):
# one `required PATH` or `optional PATH` a line; an optional file may be empty.
readonly rendered_list="rendered-files"
secret_files=()
optional_secret_files=()
# Shipped as they are from the repository.
readonly shipped_files=(
  docker-compose.yml
  traefik/dynamic.yml
  "$token_script"
)

# Env file keys whose values are not secret (render.py writes them as literals); every other value of an
# env file is redacted. Space-separated, with a space at both ends.
readonly plain_env_keys=" POSTGRES_DB POSTGRES_USER AUTHENTIK_POSTGRESQL__HOST AUTHENTIK_POSTGRESQL__NAME \
AUTHENTIK_POSTGRESQL__USER AUTHENTIK_BOOTSTRAP_EMAIL NB_MANAGEMENT_URL "
# The keys of netbird/config.yaml that hold secrets (server.authSecret, store.encryptionKey, owner.password).
readonly netbird_secret_keys="authSecret|encryptionKey|password"
readonly redacted="[redacted]"

stage_timeout=""
lock_timeout=""
lock_fd=""
lock_held=0
child_pid=""
redactor_pid=""
real_stdout=""
scratch=""
redactions=()
run_started=$SECONDS
step_name=""
step_started=0

# The timestamp comes from bash's own printf (%(...)T, bash 4.2+; -1 is now), not a `date` process per line.
log() {
  TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T bifrost: %s\n' -1 "$*"
}

error() {
  TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T bifrost: ERROR: %s\n' -1 "$*" >&2
}

die() {
  local code="$1"
  shift
  error "$*"
  exit "$code"
}

step_begin() {
  step_name="$1"
  step_started=$SECONDS
  log "step ${step_name}: ${2:-started}"
}

step_end() {
  log "step ${step_name}: ${1:-ok} ($((SECONDS - step_started))s)"
}

step_failed() {
  error "step ${step_name}: $* ($((SECONDS - step_started))s)"
}

usage() {
  printf 'usage: bash bootstrap.sh --stage-timeout SECONDS [--lock-timeout SECONDS]\n' >&2
}

compose() {
  docker compose --project-directory "$dir" -f "$dir/docker-compose.yml" "$@"
}
# The same words, for run_child (which runs programs, not functions).
readonly compose_command=(docker compose --project-directory "$dir" -f "$dir/docker-compose.yml")

# -- redaction ----------------------------------------------------------------------------------------

# add_redaction VALUE: the value, and each of its lines when it has several, is redacted from the output.
add_redaction() {
  local value="$1" part
  [[ -n "$value" ]] || return 0
  redactions+=("$value")
  if [[ "$value" == *[$'\n\r']* ]]; then
    while IFS= read -r part; do
      part="${part%$'\r'}"
      [[ -z "$part" ]] || redactions+=("$part")
    done <<<"$value"
  fi
}

# dotenv_value RAW: sets `decoded` to the value compose reads from RAW, the text after KEY=. The files
# are written double-quoted with \ " $ newline and CR escaped (render.py); single-quoted and bare values
# are read as they stand, so hand edits are redacted too.
dotenv_value() {
  local raw="$1" char i
  decoded=""
  if [[ "$raw" == \"*\" && ${#raw} -ge 2 ]]; then
    raw="${raw:1:${#raw}-2}"
    for ((i = 0; i < ${#raw}; i++)); do
      char="${raw:i:1}"
      if [[ "$char" == "\\" ]] && ((i + 1 < ${#raw})); then
        i=$((i + 1))
        char="${raw:i:1}"
        case "$char" in
          n) char=$'\n' ;;
          r) char=$'\r' ;;
        esac
      fi
      decoded+="$char"
    done
  elif [[ "$raw" == \'*\' && ${#raw} -ge 2 ]]; then
    decoded="${raw:1:${#raw}-2}"
  else
    decoded="$raw"
  fi
}

# yaml_scalar RAW: sets `decoded` to the plain, single- or double-quoted YAML scalar RAW.
yaml_scalar() {
  local raw="$1"
  raw="${raw%"${raw##*[![:space:]]}"}"
  decoded="$raw"
  if [[ "$raw" == \'*\' && ${#raw} -ge 2 ]]; then
    decoded="${raw:1:${#raw}-2}"
    decoded="${decoded//"''"/"'"}"
  elif [[ "$raw" == \"*\" && ${#raw} -ge 2 ]]; then
    decoded="${raw:1:${#raw}-2}"
    decoded="${decoded//'\"'/'"'}"
    decoded="${decoded//"\\\\"/"\\"}"
  fi
}

# Reads every secret value the VPS holds; files that are missing or unreadable are left to preflight.
load_redactions() {
  local file line key raw decoded
  for file in "$dir"/env/*.env; do
    [[ -f "$file" && -r "$file" ]] || continue
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
      key="${BASH_REMATCH[2]}"
      raw="${BASH_REMATCH[3]}"
      [[ "$plain_env_keys" != *" $key "* ]] || continue
      dotenv_value "$raw"
      add_redaction "$decoded"
      add_redaction "$raw"
    done <"$file"
  done
  file="$dir/netbird/config.yaml"
  if [[ -f "$file" && -r "$file" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^[[:space:]]*($netbird_secret_keys):[[:space:]]*(.+)$ ]] || continue
      raw="${BASH_REMATCH[2]}"
      yaml_scalar "$raw"
      add_redaction "$decoded"
      add_redaction "$raw"
    done <"$file"
  fi
  sort_redactions
}

# Longest first, so a secret that contains another one is replaced whole.
sort_redactions() {
  local -a sorted=()
  local value i j
  for value in "${redactions[@]}"; do
    sorted+=("$value")
    for ((i = ${#sorted[@]} - 1; i > 0; i--)); do
      j=$((i - 1))
      ((${#sorted[j]} < ${#sorted[i]})) || break
      value="${sorted[j]}"
      sorted[j]="${sorted[i]}"
      sorted[i]="$value"
    done
  done
  redactions=("${sorted[@]}")
}

# Copies stdin to stdout line by line with every secret replaced. The pattern is quoted, so bash
# compares it as a fixed string: no regex or glob metacharacter in a secret has any effect.
redact_stream() {
  local line value
  while IFS= read -r line || [[ -n "$line" ]]; do
    for value in "${redactions[@]}"; do
      line="${line//"$value"/"$redacted"}"
    done
    printf '%s\n' "$line"
  done
}

# From here on, everything the script and its children print goes through redact_stream. The filter
# ignores the signals the script handles, so it prints the last lines of an interrupted run too.
start_redaction() {
  load_redactions
  exec {real_stdout}>&1
  spawn_redactor
}

# The filter's own stdout and stderr are the real stdout: it must not hold the previous filter's pipe.
spawn_redactor() {
  exec > >(trap '' INT TERM HUP; exec >&"$real_stdout" 2>&1; redact_stream) 2>&1
  redactor_pid=$!
}

# redact_from_now VALUE: a secret the script learnt after it started (the issued proxy token) is redacted
# from every later line: a new filter with the longer list takes over once the old one has printed all.
redact_from_now() {
  local previous="$redactor_pid"
  add_redaction "$1"
  sort_redactions
  spawn_redactor
  wait "$previous" 2>/dev/null || true
}

# -- children and signals ---------------------------------------------------------------------------------

# run_child PROGRAM ARG...: runs PROGRAM in the background and waits for it, so that a signal is handled at
# once (a trap runs only after a foreground command ends) and passed on to it (on_signal). Background
# commands of a non-interactive shell start with SIGINT ignored and stdin on /dev/null: the subshell
# restores SIGINT, and `0<&0` keeps the caller's stdin. They do not inherit the held lock, so a child
# that outlives the script cannot keep it.
run_child() {
  local rc=0
  (
    trap - INT TERM HUP
    if ((lock_held)); then exec {lock_fd}>&-; fi
    exec "$@"
  ) 0<&0 &
  child_pid=$!
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}

any_alive() {
  local pid
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then return 0; fi
  done
  return 1
}

# on_signal NAME CODE: pass the signal on to the running child, give it a moment to stop, then exit.
on_signal() {
  local name="$1" code="$2" waited=0 children
  trap '' INT TERM HUP
  # Every job of this shell, not only child_pid: a signal that lands between run_child's `&` and its
  # `child_pid=$!` finds child_pid empty while the child already runs (and would keep stdout open).
  children="$(jobs -p)"
  children="${children:-$child_pid}"
  if [[ -n "$children" ]]; then
    # shellcheck disable=SC2086 # one PID per word
    kill -s "$name" $children 2>/dev/null || true
    # shellcheck disable=SC2086
    while any_alive $children && ((waited < 100)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    # shellcheck disable=SC2086
    kill -s KILL $children 2>/dev/null || true
  fi
  error "interrupted by SIG${name}${step_name:+ during step ${step_name}}; nothing is half-written: run it again"
  exit "$code"
}

# On exit: drop the scratch file, then let the filter print the last lines before the script ends.
on_exit() {
  local rc=$?
  [[ -z "$scratch" ]] || rm -f "$scratch"
  if [[ -n "$redactor_pid" ]]; then
    exec >&- 2>&-
    wait "$redactor_pid" 2>/dev/null || true
  fi
  exit "$rc"
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --stage-timeout | --lock-timeout)
        if (($# < 2)); then
          usage
          die 2 "$1 needs a value"
        fi
        if [[ "$1" == --stage-timeout ]]; then stage_timeout="$2"; else lock_timeout="$2"; fi
        shift 2
        ;;
      --stage-timeout=*) stage_timeout="${1#*=}"; shift ;;
      --lock-timeout=*) lock_timeout="${1#*=}"; shift ;;
      -h | --help) usage; exit 0 ;;
      *)
        usage
        die 2 "unknown argument"
        ;;
    esac
  done
  if ! [[ "$stage_timeout" =~ ^[1-9][0-9]*$ ]]; then
    usage
    die 2 "--stage-timeout must be a whole number of seconds, at least 1"
  fi
  lock_timeout="${lock_timeout:-$stage_timeout}"
  if ! [[ "$lock_timeout" =~ ^(0|[1-9][0-9]*)$ ]]; then
    usage
    die 2 "--lock-timeout must be a whole number of seconds"
  fi
  if ! [[ "$retry_delay" =~ ^(0|[1-9][0-9]*)$ ]]; then
    die 2 "BIFROST_RETRY_DELAY must be a whole number of seconds"
  fi
}

acquire_lock() {
  if ! command -v flock >/dev/null 2>&1; then
    log "flock not found: running without a lock"
    return 0
  fi
  local lock_file="$dir/.bootstrap.lock"
  # A failed redirection of `exec` would end the script with no useful message: try it in a group first.
  if ! { : >>"$lock_file"; } 2>/dev/null || ! { exec {lock_fd}>>"$lock_file"; } 2>/dev/null; then
    die 6 "cannot open the lock file $lock_file for writing (read-only file system, no space or inodes" \
      "left, or not a regular file); on the VPS check: df -i $dir; ls -la $dir; then run it again"
  fi
  if flock -n "$lock_fd"; then
    lock_held=1
    return 0
  fi
  if ((lock_timeout > 0)); then
    log "another bootstrap run holds the lock; waiting up to ${lock_timeout}s"
    if run_child flock -w "$lock_timeout" "$lock_fd"; then
      lock_held=1
      return 0
    fi
  fi
  die 5 "another bootstrap run holds $lock_file; try again when it has finished"
}

# file_modes PATH...: fills mode_of[PATH] with each existing path's octal mode, in one stat process.
file_modes() {
  local mode path
  while read -r mode path; do
    mode_of["$path"]="$mode"
  done < <(stat -c '%a %n' -- "$@")
}

# read_rendered_list: checks the list of rendered files; prints the problem and fails when it is unusable.
read_rendered_list() {
  local kind path extra
  if [[ ! -s "$dir/$rendered_list" ]]; then
    echo "$rendered_list is missing or empty: pulumi up writes it with the rendered files"
    return 1
  fi
  while read -r kind path extra; do
    if [[ "$kind" != required && "$kind" != optional ]] || [[ -n "$extra" ]] \
      || ! [[ "$path" =~ ^[A-Za-z0-9_.][A-Za-z0-9_./-]*$ ]] || [[ "$path" == *..* ]]; then
      echo "$rendered_list has a line that is not 'required|optional RELATIVE-PATH': run pulumi up again"
      return 1
    fi
  done < "$dir/$rendered_list"
}

read_rendered_list_into_arrays() {
  local kind path
  while read -r kind path; do
    if [[ "$kind" == required ]]; then secret_files+=("$path"); else optional_secret_files+=("$path"); fi
  done < "$dir/$rendered_list"
}

preflight() {
  step_begin preflight
  local -a problems=()
  local file mode problem

  if ! command -v docker >/dev/null 2>&1; then
    die 2 "docker is not installed (Ubuntu: apt-get install docker.io docker-compose-v2)"
  fi
  if ! docker compose version >/dev/null 2>&1; then
    die 2 "docker compose v2 is not installed (Ubuntu: apt-get install docker-compose-v2)"
  fi
  local engine
  if ! engine="$(docker info --format '{{.ServerVersion}}' 2>/dev/null)"; then
    die 2 "the docker daemon is not reachable (systemctl status docker)"
  fi
  # The healthchecks' start_interval needs API 1.44 (Engine 25).
  if [[ "$engine" =~ ^([0-9]+)\. ]] && ((BASH_REMATCH[1] < 25)); then
    die 2 "docker engine $engine is too old: 25 or later is needed (apt-get install --only-upgrade docker.io)"
  fi

  local list_problem=""
  if list_problem="$(read_rendered_list)"; then
    read_rendered_list_into_arrays
  fi
  local -A mode_of=()
  local -a present=("$dir")
  for file in "${secret_files[@]}" "${optional_secret_files[@]}"; do
    [[ ! -f "$dir/$file" ]] || present+=("$dir/$file")
  done
  [[ ! -e "$dir/$issued_proxy_env" ]] || present+=("$dir/$issued_proxy_env")
  file_modes "${present[@]}"

  mode="${mode_of[$dir]}"
  [[ "$mode" == 700 ]] || problems+=("$dir is mode $mode, expected 700")
  [[ -z "$list_problem" ]] || problems+=("$list_problem")
  for file in "${shipped_files[@]}"; do
    [[ -f "$dir/$file" ]] || problems+=("$file is missing")
  done
  for file in "${secret_files[@]}" "${optional_secret_files[@]}"; do
    if [[ ! -f "$dir/$file" ]]; then
      problems+=("$file is missing")
      continue
    fi
    mode="${mode_of[$dir/$file]}"
    [[ "$mode" == 600 ]] || problems+=("$file is mode $mode, expected 600")
  done
  if [[ -e "$dir/$issued_proxy_env" ]]; then
    mode="${mode_of[$dir/$issued_proxy_env]}"
    [[ "$mode" == 600 ]] || problems+=("$issued_proxy_env is mode $mode, expected 600")
  fi
  for file in "${secret_files[@]}"; do
    if [[ -f "$dir/$file" && ! -s "$dir/$file" ]]; then
      problems+=("$file is empty")
    fi
  done
  # NetBird reads its config verbatim; a leftover placeholder would become a literal value.
  if [[ -f "$dir/netbird/config.yaml" ]] && grep -qF "\${" "$dir/netbird/config.yaml"; then
    problems+=("netbird/config.yaml contains an unrendered \${...} placeholder (NetBird never expands them)")
  fi

  if ((${#problems[@]} > 0)); then
    for problem in "${problems[@]}"; do
      error "preflight: $problem"
    done
    die 2 "preflight failed: the files under $dir are rendered by \`pulumi up\`; run it again"
  fi
  # Compose needs every env_file to exist: an empty one until the proxy token is issued.
  [[ -e "$dir/$issued_proxy_env" ]] || : >"$dir/$issued_proxy_env"

  # Its output (and its errors, which can quote env file lines) would show secret values.
  if ! compose config --quiet >/dev/null 2>&1; then
    die 2 "the compose configuration does not validate; on the VPS run: docker compose --project-directory $dir config --quiet"
  fi
  step_end
}

# Services of a failed stage that started but are neither running (healthy, or without a
# healthcheck) nor a one-shot that exited 0, one per line. Never-started ones only waited on these.
# failing_services PROFILE SERVICE... (PROFILE may be empty)
failing_services() {
  local -a profile_args=()
  [[ -z "$1" ]] || profile_args=(--profile "$1")
  shift
  local service state health exit_code
  while IFS='|' read -r service state health exit_code; do
    case "$state" in
      "" | created) continue ;;
      running) [[ "$health" == healthy || -z "$health" ]] && continue ;;
      exited) [[ "$exit_code" == 0 ]] && continue ;;
    esac
    printf '%s\n' "$service"
  done < <(compose "${profile_args[@]}" ps --all --format '{{.Service}}|{{.State}}|{{.Health}}|{{.ExitCode}}' \
    "$@" 2>/dev/null || true)
}

# show_logs PROFILE SERVICE... (PROFILE may be empty)
show_logs() {
  local -a profile_args=()
  [[ -z "$1" ]] || profile_args=(--profile "$1")
  shift
  local service
  for service in "$@"; do
    error "last ${log_tail} log lines of ${service}:"
    run_child "${compose_command[@]}" "${profile_args[@]}" logs --no-color --tail "$log_tail" "$service" >&2 || true
  done
}

# stage NAME PROFILE SERVICE... (PROFILE may be empty)
stage() {
  local name="$1" profile="$2"
  shift 2
  local -a profile_args=()
  [[ -z "$profile" ]] || profile_args=(--profile "$profile")

  step_begin "$name" "starting $* (timeout ${stage_timeout}s)"
  if run_child "${compose_command[@]}" "${profile_args[@]}" up -d --wait --wait-timeout "$stage_timeout" "$@"; then
    step_end
    return 0
  fi
  step_failed "a service is unhealthy, exited, or was not ready within ${stage_timeout}s"
  local -a failing=()
  mapfile -t failing < <(failing_services "$profile" "$@")
  ((${#failing[@]} > 0)) || failing=("$@")
  show_logs "$profile" "${failing[@]}"
  exit 3
}


# Sets `status` to the status line's status, or why there is none. `ak shell` runs as a child (see
# run_child) with its output in the scratch file, read and emptied here; nothing else of it is printed.
token_attempt() {
  local rc=0
  # The script goes on stdin, never in argv; `timeout` passes a forwarded signal on to docker.
  run_child timeout "$stage_timeout" docker exec -i authentik-worker ak shell \
    <"$dir/$token_script" >"$scratch" 2>&1 || rc=$?
  status="$(sed -n 's/.*bifrost-automation token: \([a-z-]*\( [A-Za-z0-9_]*\)\{0,1\}\).*/\1/p' \
    "$scratch" | tail -n 1)"
  : >"$scratch"
  if [[ -z "$status" ]]; then
    if ((rc == 124)); then
      status="ak shell timed out after ${stage_timeout}s"
    else
      status="ak shell exited $rc without a status"
    fi
  fi
}

ensure_api_token() {
  step_begin token "ensuring the Authentik API token bifrost-automation"
  local attempt=1 delay="$retry_delay" status
  scratch="$(mktemp)"
  while :; do
    token_attempt
    case "$status" in
      created | updated | unchanged)
        step_end "$status"
        return 0
        ;;
      missing-key)
        step_failed "BIFROST_API_TOKEN is not set in authentik-worker's environment (env/authentik-worker.env)"
        exit 4
        ;;
    esac
    if ((attempt >= token_attempts)); then
      step_failed "ak shell did not succeed after ${token_attempts} attempts (last: ${status})"
      show_logs "" authentik-worker
      exit 4
    fi
    log "step token: attempt ${attempt}/${token_attempts} failed (${status}); retrying in ${delay}s"
    run_child sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > max_retry_delay ? max_retry_delay : delay * 2))
  done
}

# The NetBird proxy token: issued once on the VPS unless the stack config supplies one. The token goes
# from the command's output (scratch file) to its env file; it is never printed or passed in argv.
ensure_proxy_token() {
  if [[ -s "$dir/env/netbird-proxy.env" ]]; then
    step_begin proxy-token "using the token from env/netbird-proxy.env (stack config)"
    step_end unchanged
    return 0
  fi
  step_begin proxy-token "ensuring the NetBird proxy token"
  if [[ -s "$dir/$issued_proxy_env" ]]; then
    step_end unchanged
    return 0
  fi
  [[ -n "$scratch" ]] || scratch="$(mktemp)"
  local rc=0 token tmp
  run_child docker exec netbird-server "${netbird_server_command[@]}" admin token create \
    --name "$proxy_token_name" >"$scratch" 2>&1 || rc=$?
  token="$(sed -n 's/^Token: \([A-Za-z0-9_.+\/=-]\{16,\}\)$/\1/p' "$scratch" | head -n 1)"
  : >"$scratch"
  if ((rc != 0)) || [[ -z "$token" ]]; then
    step_failed "netbird-server admin token create exited $rc without a token; on the VPS: docker exec" \
      "netbird-server ${netbird_server_command[*]} admin token list"
    exit 7
  fi
  redact_from_now "$token"
  tmp="$(mktemp "$dir/$issued_proxy_env.XXXXXX")"
  printf 'NB_PROXY_TOKEN="%s"\n' "$token" >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$dir/$issued_proxy_env"
  step_end created
}

# optional_stage SERVICE PROFILE NEXT_STEP ENV_FILE...: starts SERVICE once one of its env files is non-empty.
optional_stage() {
  local service="$1" profile="$2" next_step="$3" env_file
  shift 3
  for env_file in "$@"; do
    if [[ -s "$dir/$env_file" ]]; then
      stage "$service" "$profile" "$service"
      return 0
    fi
  done
  step_begin "$service" "skipped: $* empty"
  # A container left from before the secret was unset would keep running on the old secret.
  if ! compose --profile "$profile" rm --stop --force "$service" >/dev/null 2>&1; then
    error "could not remove a leftover $service container"
  fi
  log "next step: $next_step"
  step_end skipped
}

main() {
  parse_args "$@"
  [[ -d "$dir" ]] || die 2 "$dir does not exist"
  start_redaction
  log "bootstrap of $dir (stage timeout ${stage_timeout}s)"
  acquire_lock
  preflight
  stage edge "" traefik
  stage authentik "" authentik-postgres authentik-migrate authentik-server authentik-worker
  ensure_api_token
  stage netbird "" netbird-server netbird-dashboard
  ensure_proxy_token
  optional_stage netbird-proxy proxy "run bootstrap.sh again: it issues the proxy token" \
    "$issued_proxy_env" env/netbird-proxy.env
  # The program's own text for this key (SecretSpec.set_command of NETBIRD_SETUP_KEY); a test compares them.
  optional_stage netbird-agent agent \
    "pulumi config set --secret homelab-secrets:netbirdSetupKey '<netbirdSetupKey>' && pulumi up" env/netbird-agent.env
  log "done: the Bifrost stack is up ($((SECONDS - run_started))s)"
}

on_unexpected_error() {
  local rc=$?
  error "unexpected failure at line $1 (exit $rc)"
  exit 1
}

trap 'on_signal HUP 129' HUP
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap on_exit EXIT
trap 'on_unexpected_error "$LINENO"' ERR

main "$@"
