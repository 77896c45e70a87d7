#!/usr/bin/env bash
# The weekly run, for cron and for people:  ./run_weekly.sh [--date YYYY-MM-DD] [--demo]
#
# Creates .venv on first use, then runs `.venv/bin/strava-pipeline run` for the date (the
# central scheduler when luigid answers, else --local-scheduler; the local sandbox in its own
# DATA_DIR with --demo or when no Strava credentials are configured), logs every line to
# logs/DATE.log (the terminal shows progress, the summary and, last, each failed task's cause),
# and exits with Luigi's exit code (2 for a problem found before it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CLI="$VENV/bin/strava-pipeline"

usage() {
  cat <<'EOF'
usage: ./run_weekly.sh [--date YYYY-MM-DD] [--demo]
  --date YYYY-MM-DD  the run date, a day that is over in the athlete's time zone
                     (default: the most recent such day, i.e. yesterday there)
  --demo             run against the local Strava sandbox (synthetic data), not Strava
  Other options of `strava-pipeline run` follow the same way: --verbose, --debug.
Afterwards, without activating anything: .venv/bin/strava-pipeline status [--demo]
EOF
}

run_date=""
demo=0
extra_args=()
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
    --verbose | --debug) extra_args+=("$1"); shift ;;
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
  if [ -x "$CLI" ] && [ -f "$VENV/.installed" ] && ! [ "$ROOT/pyproject.toml" -nt "$VENV/.installed" ]; then
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

ensure_venv || exit 1
# The run date (pipeline/run_dates.py) is resolved by `strava-pipeline run` itself, in its own
# process (issue 23: no second Python start): the given one if it is over in the athlete's time
# zone, else the most recent day that is; a date not over yet is refused in one line (exit 2).
# The command names its log logs/RUN-DATE.log (its last "Log:" line); the terminal's lines are
# kept aside meanwhile and appended to that log afterwards.
mkdir -p "$ROOT/logs"
run_args=(run --log-dir "$ROOT/logs")
if [ -n "$run_date" ]; then
  run_args+=(--date "$run_date")
fi
if [ "$demo" -eq 1 ]; then
  run_args+=(--demo)
fi
run_args+=(${extra_args[@]+"${extra_args[@]}"})
TERMINAL="$(mktemp "$ROOT/logs/.terminal.XXXXXX")"

main() {
  local rc=0
  "$CLI" "${run_args[@]}" || rc=$?
  return "$rc"
}

# Inside main every failure is handled explicitly: errexit is off so the exit code comes back.
set +e
main 2>&1 | tee "$TERMINAL"
rc="${PIPESTATUS[0]}"
LOG="$(sed -n 's/^Log:       //p' "$TERMINAL" | tail -n 1)"
if [ -n "$LOG" ] && [ -d "$(dirname "$LOG")" ]; then
  cat "$TERMINAL" >>"$LOG"
fi
rm -f "$TERMINAL"
exit "$rc"
