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
#   optional   netbird-proxy (profile proxy) and netbird-agent (profile agent), each only once its env
#              file is non-empty; otherwise the next step is printed
#
# Exit codes:
#   0  the stack is up
#   1  unexpected internal error
#   2  preflight failed: bad arguments, docker or docker compose missing, docker daemon unreachable
#      or older than 25, a required file missing, empty or not mode 0600, an unrendered ${...} in netbird/config.yaml,
#      or a compose file that does not validate
#   3  a stage failed: a service unhealthy, exited, or not ready within --stage-timeout
#   4  the Authentik API token could not be ensured
#   5  another bootstrap run held the lock longer than --lock-timeout (default: the stage timeout)
#
# Environment (all optional): BIFROST_DIR, the stack directory (default /etc/bifrost);
# BIFROST_RETRY_DELAY, the first pause in seconds between `ak shell` attempts (default 5, doubled after
# each failed attempt, at most 60).
#
# All output goes to stdout, stderr merged, so the log in `pulumi up` keeps its order. It prints no
# secret: never the env files or the NetBird config, nor `docker compose config` output, nor what
# `ak shell` prints beyond the script's one status line. It writes nothing but its lock file, so an
# interrupted run leaves no half-written state: run it again.
set -Eeuo pipefail
umask 077
exec 2>&1

readonly dir="${BIFROST_DIR:-/etc/bifrost}"
readonly retry_delay="${BIFROST_RETRY_DELAY:-5}"
readonly token_attempts=8
readonly max_retry_delay=60
readonly log_tail=60
readonly token_script="authentik/ensure_api_token.py"

# Rendered by Pulumi; each must be mode 0600. The optional ones may be empty.
readonly secret_files=(
  .env
  env/traefik.env
  env/authentik-postgres.env
  env/authentik.env
  env/authentik-worker.env
  netbird/config.yaml
)
readonly optional_secret_files=(
  env/netbird-proxy.env
  env/netbird-agent.env
)
# Shipped as they are from the repository.
readonly shipped_files=(
  docker-compose.yml
  traefik/dynamic.yml
  "$token_script"
)

stage_timeout=""
lock_timeout=""
run_started=$SECONDS
step_name=""
step_started=0

log() {
  printf '%s bifrost: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

error() {
  printf '%s bifrost: ERROR: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
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
  local lock_fd
  exec {lock_fd}>>"$dir/.bootstrap.lock"
  if flock -n "$lock_fd"; then
    return 0
  fi
  if ((lock_timeout > 0)); then
    log "another bootstrap run holds the lock; waiting up to ${lock_timeout}s"
    if flock -w "$lock_timeout" "$lock_fd"; then
      return 0
    fi
  fi
  die 5 "another bootstrap run holds $dir/.bootstrap.lock; try again when it has finished"
}

file_mode() {
  stat -c '%a' "$1"
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

  mode="$(file_mode "$dir")"
  [[ "$mode" == 700 ]] || problems+=("$dir is mode $mode, expected 700")
  for file in "${shipped_files[@]}"; do
    [[ -f "$dir/$file" ]] || problems+=("$file is missing")
  done
  for file in "${secret_files[@]}" "${optional_secret_files[@]}"; do
    if [[ ! -f "$dir/$file" ]]; then
      problems+=("$file is missing")
      continue
    fi
    mode="$(file_mode "$dir/$file")"
    [[ "$mode" == 600 ]] || problems+=("$file is mode $mode, expected 600")
  done
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
    compose "${profile_args[@]}" logs --no-color --tail "$log_tail" "$service" >&2 || true
  done
}

# stage NAME PROFILE SERVICE... (PROFILE may be empty)
stage() {
  local name="$1" profile="$2"
  shift 2
  local -a profile_args=()
  [[ -z "$profile" ]] || profile_args=(--profile "$profile")

  step_begin "$name" "starting $* (timeout ${stage_timeout}s)"
  if compose "${profile_args[@]}" up -d --wait --wait-timeout "$stage_timeout" "$@"; then
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

# One `ak shell` run of the token script. Prints the status line's status, or why there is none.
# Everything else `ak shell` prints is dropped.
token_attempt() {
  local output status rc=0
  output="$({ cat "$dir/$token_script"; printf '\n'; } \
    | timeout "$stage_timeout" docker exec -i authentik-worker ak shell 2>&1)" || rc=$?
  status="$(sed -n 's/.*bifrost-automation token: \([a-z-]*\( [A-Za-z0-9_]*\)\{0,1\}\).*/\1/p' \
    <<<"$output" | tail -n 1)"
  if [[ -n "$status" ]]; then
    printf '%s\n' "$status"
  elif ((rc == 124)); then
    printf 'ak shell timed out after %ss\n' "$stage_timeout"
  else
    printf 'ak shell exited %s without a status\n' "$rc"
  fi
}

ensure_api_token() {
  step_begin token "ensuring the Authentik API token bifrost-automation"
  local attempt=1 delay="$retry_delay" status
  while :; do
    status="$(token_attempt)"
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
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > max_retry_delay ? max_retry_delay : delay * 2))
  done
}

# optional_stage SERVICE PROFILE ENV_FILE NEXT_STEP
optional_stage() {
  local service="$1" profile="$2" env_file="$3" next_step="$4"
  if [[ -s "$dir/$env_file" ]]; then
    stage "$service" "$profile" "$service"
    return 0
  fi
  step_begin "$service" "skipped: $env_file is empty"
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
  log "bootstrap of $dir (stage timeout ${stage_timeout}s)"
  acquire_lock
  preflight
  stage edge "" traefik
  stage authentik "" authentik-postgres authentik-migrate authentik-server authentik-worker
  ensure_api_token
  stage netbird "" netbird-server netbird-dashboard
  optional_stage netbird-proxy proxy env/netbird-proxy.env \
    "pulumi config set --secret homelab-secrets:netbirdProxyToken '<token>' && pulumi up"
  optional_stage netbird-agent agent env/netbird-agent.env \
    "pulumi config set --secret homelab-secrets:netbirdSetupKey '<setup-key>' && pulumi up"
  log "done: the Bifrost stack is up ($((SECONDS - run_started))s)"
}

on_unexpected_error() {
  local rc=$?
  error "unexpected failure at line $1 (exit $rc)"
  exit 1
}

trap 'error "interrupted"; exit 130' INT TERM
trap 'on_unexpected_error "$LINENO"' ERR

main "$@"
