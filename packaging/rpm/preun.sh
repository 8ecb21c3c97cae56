# $1: 0 on erase, 1 on upgrade. On erase, stop and disable the service.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now salas.service >/dev/null 2>&1 || :
fi
