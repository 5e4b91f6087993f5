#!/bin/sh
# Installs and starts the Docker Engine for the real-parts tests, plus Debian's
# static busybox, which the tests copy into `FROM scratch` images (no base
# image can be pulled here). Idempotent: an engine already answering on
# /var/run/docker.sock is left alone. Assumes the caller ran `apt-get update`.
# There is no bridge or iptables on these machines: containers use the host
# network, and vfs is the storage driver that works without overlay support.
set -eu

LOG=/tmp/grayctl-dockerd.log
PIDFILE=/tmp/grayctl-dockerd.pid
SOCKET=/var/run/docker.sock

answering() {
  [ -S "$SOCKET" ] && curl -fsS --max-time 2 --unix-socket "$SOCKET" http://localhost/_ping >/dev/null 2>&1
}

need=""
command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need="$need busybox-static"
command -v curl >/dev/null 2>&1 || need="$need curl"
if [ -n "$need" ]; then
  # Keep the packages' own service scripts from starting a second daemon.
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
  if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

if answering; then
  echo "docker: engine already answering on $SOCKET"
  exit 0
fi

nohup dockerd --storage-driver=vfs --iptables=false --bridge=none --pidfile "$PIDFILE" >"$LOG" 2>&1 &
deadline=$(($(date +%s) + 60))
until answering; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker: dockerd did not answer on $SOCKET within 60 s; see $LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "docker: engine started (pid $(cat "$PIDFILE"), log $LOG)"
