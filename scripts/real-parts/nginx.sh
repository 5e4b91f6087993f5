#!/bin/sh
# Installs nginx for the real-parts tests: the sandbox writes its own nginx.conf
# and starts `nginx -c CONF -p PREFIX` on a loopback port, so the distribution's
# service must stay stopped. Idempotent: does nothing when nginx is on PATH.
# Assumes the caller (scripts/real-parts.sh) already ran `apt-get update`.
set -eu

if command -v nginx >/dev/null 2>&1; then
  echo "nginx: already installed ($(nginx -v 2>&1))"
  exit 0
fi

# policy-rc.d exit 101 keeps dpkg from starting the packaged service; only add
# it if none exists, and remove only the one we added.
added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  added_policy=1
fi
trap 'if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light
echo "nginx: installed ($(nginx -v 2>&1))"
