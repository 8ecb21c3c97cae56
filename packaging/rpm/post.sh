# $1: 1 on install, 2 on upgrade. Creates the salas user and its private data directory; the
# service is enabled only if the system's presets say so (on Fedora, not by default).
if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers /usr/lib/sysusers.d/salas.conf
elif ! getent passwd salas >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/salas --no-create-home --shell /sbin/nologin salas
fi
install -d -o salas -g salas -m 0700 /var/lib/salas
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -eq 1 ]; then
        systemctl --no-reload preset salas.service >/dev/null 2>&1 || :
    fi
fi
