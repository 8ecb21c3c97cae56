#!/usr/bin/env bash
# Package checks for CI, after `cargo test`. Runs as root on a Debian machine where systemd is
# not running: builds the .deb and the .rpm from one release build, installs the .deb, runs
# the installed binary as the packaged user with the packaged configuration, checks /healthz
# and an online backup, then removes and purges the package checking what stays; the .rpm's
# files, scripts and dependencies are checked with `rpm -qp`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "ci-check.sh installs a package: run it as root" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "tools"
command -v cargo-deb >/dev/null || cargo install cargo-deb@3.8.0 --locked
command -v cargo-generate-rpm >/dev/null || cargo install cargo-generate-rpm@0.21.1 --locked
command -v rpm >/dev/null || { apt-get update -qq && apt-get install -y -qq rpm >/dev/null; }

step "build (one release build for both packages)"
packaging/build.sh all
out=${CARGO_TARGET_DIR:-target}
deb=$(ls "$out"/debian/salas_*.deb | head -n1)
rpm=$(ls "$out"/generate-rpm/salas-*.rpm | head -n1)
ls -l "$deb" "$rpm"

step "deb: contents and install"
# A re-run starts from a machine without the package, like CI.
if dpkg-query -W salas >/dev/null 2>&1; then dpkg -P salas; fi
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
dpkg -i "$deb"
getent passwd salas >/dev/null || fail "no salas user"
[ "$(stat -c '%U %a' /var/lib/salas)" = "salas 700" ] || fail "/var/lib/salas is $(stat -c '%U %a' /var/lib/salas)"
dpkg-query -W -f='${Conffiles}\n' salas | grep -q ' /etc/salas/config.toml ' || fail "config.toml is not a conffile"
grep -q '^data_dir = "/var/lib/salas"' /etc/salas/config.toml || fail "packaged config has another data_dir"
for f in /usr/bin/salas /usr/lib/systemd/system/salas.service /usr/lib/sysusers.d/salas.conf \
    /usr/share/man/man1/salas.1.gz /usr/share/doc/salas/config.example.toml; do
    [ -e "$f" ] || fail "missing $f"
done
[ ! -e /etc/systemd/system/multi-user.target.wants/salas.service ] || fail "the service was enabled without consent"
/usr/bin/salas --version

step "deb: run as the packaged user with the packaged config"
log=$(mktemp)
# setpriv execs (runuser would stay the parent and turn the exit status into 143).
setpriv --reuid=salas --regid=salas --init-groups \
    /usr/bin/salas serve --config /etc/salas/config.toml --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
addr=
for _ in $(seq 200); do
    addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$log" | head -n1)
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "the server exited"; }
    sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; fail "no 'listening on' line"; }
ok=
for _ in $(seq 50); do
    if SALAS_LISTEN="$addr" /usr/bin/salas healthcheck; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || fail "/healthz did not answer 200"
grep -q 'password' "$log" || fail "the first administrator's password was not logged"
# Online backup as root through the admin socket, while the server runs.
backup=$(mktemp -d)/salas.redb
/usr/bin/salas backup --config /etc/salas/config.toml --output "$backup"
[ "$(stat -c '%a' "$backup")" = 600 ] || fail "backup is not private"
kill -TERM "$pid"
wait "$pid" || fail "the server did not exit 0 on SIGTERM"
runuser -u salas -- /usr/bin/salas check --config /etc/salas/config.toml
# A restore run as root leaves the store owned by salas.
/usr/bin/salas restore "$backup" --config /etc/salas/config.toml
[ "$(stat -c '%U' /var/lib/salas/salas.redb)" = salas ] || fail "restored store not owned by salas"

step "deb: remove keeps the data, purge deletes it"
dpkg -r salas
[ ! -e /usr/bin/salas ] || fail "binary left after remove"
[ -f /var/lib/salas/salas.redb ] || fail "remove deleted the data"
[ -f /etc/salas/config.toml ] || fail "remove deleted the configuration"
dpkg -P salas
[ ! -e /var/lib/salas ] || fail "purge left /var/lib/salas"
[ ! -e /etc/salas/config.toml ] || fail "purge left the configuration"

step "rpm: files, scripts, dependencies"
rpm -qpi "$rpm"
q=$(mktemp -d)
rpm -qp --list "$rpm" >"$q/list"
rpm -qp --queryformat '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" >"$q/flags"
rpm -qp --scripts "$rpm" >"$q/scripts"
rpm -qp --requires "$rpm" >"$q/requires"
cat "$q/flags" "$q/scripts" "$q/requires"
for f in /usr/bin/salas /usr/lib/systemd/system/salas.service /usr/lib/sysusers.d/salas.conf \
    /usr/share/man/man1/salas.1.gz /etc/salas/config.toml; do
    grep -qx "$f" "$q/list" || fail "rpm lacks $f"
done
grep -qx 'cn /etc/salas/config.toml' "$q/flags" || fail "config.toml is not %config(noreplace)"
grep -q 'systemd-sysusers' "$q/scripts" || fail "rpm scripts do not create the user"
grep -q 'try-restart salas.service' "$q/scripts" || fail "rpm does not restart on upgrade"
grep -q 'libc.so.6' "$q/requires" || fail "rpm does not require glibc"
echo "package checks passed"
