# shellcheck shell=bash
# Shared by the scripts in this folder: where the toolchain lives and how to
# run a command inside it. Source it; it defines no side effects of its own.
#
# Home Assistant 2026.x needs Python >= 3.14.2. Where the host has one, the
# toolchain is a plain virtual environment. Otherwise it is a minimal Debian
# "forky" root (which ships Python 3.14) holding the virtual environment, and
# commands run there through chroot in a private mount namespace.

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${PUSHOVER_PLUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pushover-plus}
REQUIREMENTS="$REPO_DIR/requirements_test.txt"
REQUIREMENTS_KEY=$(sha256sum "$REQUIREMENTS" | cut -c1-16)
ROOT_DIR="$CACHE_DIR/root-forky-python3.14"
MIN_PYTHON="3.14.2"

# Prints the path of a host Python >= MIN_PYTHON, or nothing.
host_python() {
    local candidate
    for candidate in python3.14 python3.15 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 0
}

HOST_PYTHON=$(host_python)
if [ -n "$HOST_PYTHON" ]; then
    TOOLCHAIN_KIND=host
    VENV_DIR="$CACHE_DIR/venv-$REQUIREMENTS_KEY"
    VENV_HOST_DIR="$VENV_DIR"
    TOOLCHAIN_REPO_DIR="$REPO_DIR"
else
    TOOLCHAIN_KIND=root
    VENV_DIR="/opt/venvs/$REQUIREMENTS_KEY"
    VENV_HOST_DIR="$ROOT_DIR$VENV_DIR"
    TOOLCHAIN_REPO_DIR=/src
fi
READY_MARKER="$VENV_HOST_DIR/.pushover-plus-ready"

toolchain_ready() {
    [ -f "$READY_MARKER" ]
}

# Variables handed from the caller into the toolchain.
PASSED_VARIABLES="CI TERM COLUMNS PYTEST_ADDOPTS PUSHOVER_PLUS_API_BASE_URL PUSHOVER_PLUS_SIM_PORT PUSHOVER_PLUS_HA_PORT PUSHOVER_PLUS_CLOCK_START"

# Run inside the toolchain before the command: with PUSHOVER_PLUS_CLOCK_START
# (Unix seconds) set, libfaketime starts the process's wall clock at that
# moment, in US Central time, and lets it tick; the monotonic clock that the
# event loop uses is left alone (scripts/test-calendar).
# shellcheck disable=SC2016
CLOCK_PRELUDE='
if [ -n "${PUSHOVER_PLUS_CLOCK_START:-}" ]; then
    for lib in /usr/lib/*/faketime/libfaketime.so.1; do
        [ -f "$lib" ] || { echo "libfaketime is not installed (Debian package faketime)" >&2; exit 1; }
        export LD_PRELOAD="$lib" FAKETIME="@$PUSHOVER_PLUS_CLOCK_START" FAKETIME_FMT=%s \
            FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=America/Chicago
        break
    done
fi'

# Runs "$@" with the toolchain's virtual environment first on PATH and the
# repository as the working directory, and returns its exit status.
in_toolchain() {
    (exec_in_toolchain "$@")
}

# Like in_toolchain, but replaces the current shell: every step execs the
# next (unshare, chroot, env, bash), so the command keeps this shell's process
# id and signals sent to it reach the command itself (scripts/in-toolchain).
exec_in_toolchain() {
    if [ "$TOOLCHAIN_KIND" = host ]; then
        cd "$REPO_DIR"
        export PATH="$VENV_DIR/bin:$PATH" VIRTUAL_ENV="$VENV_DIR"
        eval "$CLOCK_PRELUDE"
        exec "$@"
    fi
    local passed=() name
    for name in $PASSED_VARIABLES; do
        if [ -n "${!name+set}" ]; then
            passed+=("$name=${!name}")
        fi
    done
    exec unshare -m --propagation private /bin/bash -c '
        set -e
        root=$1 repo=$2 venv=$3 count=$4 prelude=$5
        shift 5
        mount --rbind /dev "$root/dev"
        mount --bind /proc "$root/proc"
        mount --bind /sys "$root/sys"
        mkdir -p "$root/src"
        # Recursive: a file system mounted inside the repository (the crash
        # test puts the outbox on a small tmpfs) is seen inside too.
        mount --rbind "$repo" "$root/src"
        env_args=("${@:1:$count}")
        shift "$count"
        exec chroot "$root" /usr/bin/env -i \
            HOME=/root LANG=C.UTF-8 \
            PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" VIRTUAL_ENV="$venv" \
            SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt PIP_CERT=/etc/ssl/certs/host-ca.crt \
            PIP_DISABLE_PIP_VERSION_CHECK=1 \
            "${env_args[@]}" \
            /bin/bash -c "cd /src && $prelude
                exec \"\$@\"" toolchain "$@"
    ' toolchain "$ROOT_DIR" "$REPO_DIR" "$VENV_DIR" "${#passed[@]}" "$CLOCK_PRELUDE" "${passed[@]}" "$@"
}
