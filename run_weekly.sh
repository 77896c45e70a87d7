#!/usr/bin/env bash
# The weekly run, for cron and for people:  ./run_weekly.sh [--date YYYY-MM-DD] [--demo]
#
# Creates .venv on first use, runs WeeklyPipeline for the date with Luigi (through the central
# scheduler when luigid answers, else with --local-scheduler), logs to logs/DATE.log as well as
# the terminal, and exits with Luigi's exit code. With --demo, or when no Strava credentials are
# configured, it runs against the local Strava sandbox (synthetic data) in its own DATA_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

usage() {
  cat <<'EOF'
usage: ./run_weekly.sh [--date YYYY-MM-DD] [--demo]
  --date YYYY-MM-DD  the run date, a day that is over in the athlete's time zone
                     (default: the most recent such day, i.e. yesterday there)
  --demo             run against the local Strava sandbox (synthetic data), not Strava
EOF
}

run_date=""
demo=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --date)
      if [ "$#" -lt 2 ]; then
        echo "run_weekly.sh: --date needs a value, e.g. --date 2026-11-29" >&2
        exit 2
      fi
      run_date="$2"
      shift 2
      ;;
    --date=*) run_date="${1#--date=}"; shift ;;
    --demo) demo=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *)
      echo "run_weekly.sh: unknown argument '$1'" >&2
      usage >&2
      exit 2
      ;;
  esac
done
if [ -n "$run_date" ] && ! [[ "$run_date" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
  echo "run_weekly.sh: --date '$run_date' is not a date: write it as YYYY-MM-DD" >&2
  exit 2
fi
export PYTHONUNBUFFERED=1

ensure_venv() {
  # .venv/.installed is written once pip succeeded; a newer pyproject.toml means reinstall.
  if [ -x "$PY" ] && [ -f "$VENV/.installed" ] && ! [ "$ROOT/pyproject.toml" -nt "$VENV/.installed" ]; then
    return 0
  fi
  local venv_options=()
  read -r -a venv_options <<<"${PIPELINE_VENV_OPTIONS:-}"
  echo "First run: creating $VENV and installing the pipeline into it (this takes a minute)"
  if ! "${PYTHON:-python3}" -m venv ${venv_options[@]+"${venv_options[@]}"} "$VENV"; then
    echo "run_weekly.sh: could not create $VENV: install Python 3.10+ with its venv module" \
      "(Debian/Ubuntu: apt-get install python3-venv)" >&2
    return 1
  fi
  if ! "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT"; then
    echo "run_weekly.sh: installing the pipeline into $VENV failed (see above)" >&2
    return 1
  fi
  touch "$VENV/.installed"
}

sandbox_pid=""
sandbox_dir=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_sandbox() {
  if [ -n "$sandbox_pid" ]; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
    echo "Sandbox stopped."
  fi
  if [ -n "$sandbox_dir" ]; then
    rm -rf "$sandbox_dir"
    sandbox_dir=""
  fi
}

start_sandbox() {
  # Sandbox data never mixes with real data: DATA_DIR=./data/sandbox with embedded backends.
  local exports
  exports="$("$PY" -m pipeline.operations sandbox-env)" || return 1
  eval "$exports"
  mkdir -p "$DATA_DIR"
  # A new sandbox process does not know the tokens the previous one rotated to.
  rm -f "$DATA_DIR/strava_tokens.json"

  sandbox_dir="$(mktemp -d)"
  local env_file="$sandbox_dir/sandbox.env"
  "$PY" -m pipeline.sandbox --port 0 --print-env-file "$env_file" \
    >/dev/null 2>"$DATA_DIR/sandbox.log" &
  sandbox_pid=$!
  local waited=0
  while [ ! -s "$env_file" ]; do
    if ! kill -0 "$sandbox_pid" 2>/dev/null || [ "$waited" -ge 300 ]; then
      echo "run_weekly.sh: the sandbox did not start; see $DATA_DIR/sandbox.log" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # shellcheck source=/dev/null
  . "$env_file"
  echo "DEMO: this run uses the local Strava SANDBOX at $STRAVA_API_URL (synthetic activities),"
  echo "      NOT Strava. Its data goes to $DATA_DIR, apart from real data."
}

describe_exit_code() {
  case "$1" in
    0) echo "succeeded" ;;
    10) echo "FAILED: another run of these tasks is already running (exit code 10)" ;;
    20) echo "FAILED: input data is missing (exit code 20)" ;;
    25) echo "FAILED: the scheduler did not let this run start a task, another run holds it" \
      "(exit code 25)" ;;
    30) echo "FAILED: a task failed, see the log above (exit code 30)" ;;
    35) echo "FAILED: the tasks could not be scheduled (exit code 35)" ;;
    40) echo "FAILED: an unhandled error, see the log above (exit code 40)" ;;
    *) echo "FAILED (exit code $1)" ;;
  esac
}

main() {
  trap stop_sandbox EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo "== Weekly Strava pipeline for $run_date (started $(date -u '+%Y-%m-%d %H:%M:%S') UTC)"
  echo "   log: $LOG"
  ensure_venv || return 1

  if [ "$demo" -eq 0 ] && [ "$("$PY" -m pipeline.operations credentials)" = "none" ]; then
    echo "No Strava credentials are configured (no STRAVA_CLIENT_ID, STRAVA_REFRESH_TOKEN or"
    echo "token store); running the demo instead. For Strava see README 'First-time authorization'."
    demo=1
  fi
  if [ "$demo" -eq 1 ]; then
    start_sandbox || return 1
  fi

  local scheduler_args=()
  local url
  if [ "$demo" -eq 1 ]; then
    scheduler_args=(--local-scheduler)
    echo "Scheduler: local (--local-scheduler); sandbox runs stay out of the central scheduler."
  elif url="$("$PY" -m pipeline.operations scheduler)"; then
    echo "Scheduler: central scheduler at $url (visualiser: ${url}static/visualiser/index.html)"
  else
    scheduler_args=(--local-scheduler)
    echo "Scheduler: no central scheduler answers at $url; using --local-scheduler."
  fi

  local rc=0
  "$PY" -m luigi --module pipeline.tasks WeeklyPipeline --run-date "$run_date" \
    --logging-conf-file "$ROOT/config/logging.ini" \
    ${scheduler_args[@]+"${scheduler_args[@]}"} || rc=$?

  echo "== Weekly run for $run_date $(describe_exit_code "$rc")"
  local summary_args=(--date "$run_date")
  if [ "$demo" -eq 1 ]; then
    summary_args+=(--demo)
  fi
  "$PY" -m pipeline.operations summary "${summary_args[@]}" || true
  echo "Log:       $LOG"
  if [ "$demo" -eq 1 ]; then
    echo "This was a DEMO against the local Strava sandbox, not Strava."
  fi
  return "$rc"
}

# The run date (pipeline/run_dates.py): the given one if it is over in the athlete's time zone,
# else the most recent day that is; a date not over yet is refused here, in one line.
ensure_venv || exit 1
date_args=()
if [ "$demo" -eq 1 ]; then
  date_args+=(--demo)
fi
if [ -n "$run_date" ]; then
  date_args+=("$run_date")
fi
run_date="$("$PY" -m pipeline.operations run-date ${date_args[@]+"${date_args[@]}"})" || exit 2
mkdir -p "$ROOT/logs"
LOG="$ROOT/logs/$run_date.log"

# Inside main every failure is handled explicitly: errexit is off so Luigi's code comes back.
set +e
main 2>&1 | tee -a "$LOG"
exit "${PIPESTATUS[0]}"
