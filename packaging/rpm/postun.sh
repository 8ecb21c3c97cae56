# $1: 0 on erase, 1 on upgrade. An upgrade restarts a running service, which then migrates the
# store (keeping salas.redb.vN.bak). Erasing keeps /var/lib/salas, as RPM has no purge.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart salas.service >/dev/null 2>&1 || :
    fi
fi
