#!/bin/sh
# Installs and starts an image registry on 127.0.0.1:5000 (plain HTTP, which
# the engine allows for localhost) with filesystem storage in a temp dir.
# Idempotent: a registry already answering on /v2/ is left alone. Assumes the
# caller ran `apt-get update`.
set -eu

ADDRESS=127.0.0.1:5000
LOG=/tmp/grayctl-registry.log
PIDFILE=/tmp/grayctl-registry.pid

answering() {
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$ADDRESS/v2/" 2>/dev/null || true)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

if answering; then
  echo "registry: already answering on http://$ADDRESS/v2/"
  exit 0
fi

if ! command -v docker-registry >/dev/null 2>&1; then
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry curl
  if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

DIR=$(mktemp -d /tmp/grayctl-registry-XXXXXX)
cat >"$DIR/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDRESS
YAML
nohup docker-registry serve "$DIR/config.yml" >"$LOG" 2>&1 &
echo $! >"$PIDFILE"
deadline=$(($(date +%s) + 30))
until answering; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "registry: no answer on http://$ADDRESS/v2/ within 30 s; see $LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.3
done
echo "registry: started on http://$ADDRESS (pid $(cat "$PIDFILE"), storage $DIR/data, log $LOG)"
