# Shared helpers for infra/local/*.sh and servers/*.sh. Sourced, never run.
#
# State (data dirs, pidfiles, logs, Kafka jars) lives outside the clone so that every clone on the machine, and CI in
# a fresh clone, shares and reuses the same running servers.

STRATA_INFRA_DIR="${STRATA_INFRA_DIR:-$HOME/.cache/strata-infra}"
INFRA_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$STRATA_INFRA_DIR/run"
LOG_DIR="$STRATA_INFRA_DIR/log"
HOST=127.0.0.1
# The modules in start order: the slow starters (the JVMs of Kafka and Zipkin) go first so that they warm up while the
# rest start.
MODULES=(kafka zipkin postgres redis redis_cluster sentinel memcached)

mkdir -p "$RUN_DIR" "$LOG_DIR"

say() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}

load_modules() {
  local module
  for module in "${MODULES[@]}"; do
    # shellcheck source=/dev/null
    source "$INFRA_SRC/local/servers/${module//_/-}.sh"
  done
}

# default_modules — the modules a script runs when none are named: all but those whose MODULE::enabled says no.
default_modules() {
  local module
  for module in "${MODULES[@]}"; do
    if declare -F "$module::enabled" >/dev/null && ! "$module::enabled"; then
      say "$module: left out (see infra/local/servers/${module//_/-}.sh)" >&2
      continue
    fi
    printf '%s\n' "$module"
  done
}

# Runs the rest of the calling script under one machine-wide lock, so that `pnpm test` started in two clones at once
# does not start the same server twice. The lock is on fd 9, which every spawned server must not inherit (see spawn).
take_lock() {
  exec 9>"$STRATA_INFRA_DIR/lock"
  if ! flock -n 9; then
    say "another infra script is running; waiting for it"
    flock -w 900 9 || die "gave up waiting for $STRATA_INFRA_DIR/lock"
  fi
}

# True when something accepts TCP connections on $HOST:$1.
port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# wait_for SECONDS WHAT COMMAND... — polls COMMAND until it succeeds; fails naming WHAT after SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      warn "$what: not ready after ${seconds}s"
      return 1
    fi
    sleep 0.2
  done
}

# render TEMPLATE OUT KEY=VALUE... — writes TEMPLATE to OUT with every {{KEY}} replaced by VALUE.
render() {
  local text out=$2 pair
  text=$(<"$1")
  shift 2
  for pair in "$@"; do
    text=${text//"{{${pair%%=*}}}"/"${pair#*=}"}
  done
  printf '%s\n' "$text" >"$out"
}

# spawn NAME COMMAND... — starts COMMAND detached in its own session (so it outlives this script, the caller's job
# control and `pnpm test`), appends its output to $LOG_DIR/NAME.log and records its PID in $RUN_DIR/NAME.pid.
spawn() {
  local name=$1 pidfile="$RUN_DIR/$1.pid"
  shift
  rm -f "$pidfile"
  # The inner shell records its own PID and then becomes COMMAND, so the pidfile names the server itself.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$LOG_DIR/$name.log" 2>&1 9>&- &
  wait_for 5 "$name pidfile" test -s "$pidfile" || die "$name did not start; see $LOG_DIR/$name.log"
}

# pid_gone PID — true when PID has exited. A zombie counts as gone: the servers are re-parented to PID 1, which may
# reap them only seconds later.
pid_gone() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ ${stat:0:1} == Z ]]
}

# owned_pid NAME COMM — prints the PID recorded for NAME when that process is alive and is still COMM (a recycled PID
# that now belongs to another program is not ours); fails otherwise.
owned_pid() {
  local pidfile="$RUN_DIR/$1.pid" pid comm
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$2" ]] && ! pid_gone "$pid" || return 1
  printf '%s\n' "$pid"
}

# owner NAME COMM — "strata" when up.sh started NAME and it still runs, else "external".
owner() {
  if owned_pid "$1" "$2" >/dev/null; then echo strata; else echo external; fi
}

# group_owner COMM NAME... — "strata", "external" or "mixed(n/total)" over a group of servers.
group_owner() {
  local comm=$1 name ours=0 total=0
  shift
  for name in "$@"; do
    total=$((total + 1))
    owned_pid "$name" "$comm" >/dev/null && ours=$((ours + 1))
  done
  if ((ours == total)); then echo strata; elif ((ours == 0)); then echo external; else echo "mixed($ours/$total)"; fi
}

# running_note NAME COMM — the progress line for a server that already answers.
running_note() {
  local pid
  if pid=$(owned_pid "$1" "$2"); then
    say "$1: already running (strata, pid $pid)"
  else
    say "$1: already running (external)"
  fi
}

# stop_owned NAME COMM [SIGNAL] — stops NAME by its recorded PID, only if that PID is still the process up.sh started,
# waits for it to exit, and removes the pidfile. Servers started by anyone else are never touched.
stop_owned() {
  local name=$1 comm=$2 signal=${3:-TERM} pid
  if pid=$(owned_pid "$name" "$comm"); then
    kill "-$signal" "$pid" 2>/dev/null || true
    if ! wait_for 30 "$name (pid $pid) to exit" pid_gone "$pid"; then
      warn "$name (pid $pid) ignored SIG$signal; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "$name: stopped (pid $pid)"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

APT_UPDATED=
# apt_install PACKAGE... — installs Debian packages, running `apt-get update` at most once per script.
apt_install() {
  local -a sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  local -a apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq)
  if [[ -z $APT_UPDATED ]]; then
    say "apt-get update"
    "${apt[@]}" update >/dev/null
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

# need COMMAND PACKAGE — installs PACKAGE when COMMAND is missing.
need() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# Status table rows: row SERVER ADDRESS STATE STARTED-BY DETAIL
STATUS_FORMAT='%-16s %-24s %-9s %-11s %s\n'
row() {
  # shellcheck disable=SC2059
  printf "$STATUS_FORMAT" "$@"
}

# purge PATH... — deletes server data for `down.sh --purge`.
purge() {
  local path
  for path in "$@"; do
    if [[ -e $path ]]; then
      rm -rf "$path"
      say "purged $path"
    fi
  done
}
