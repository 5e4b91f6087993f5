#!/bin/sh
# Installs Prometheus for the real-parts tests. Tests start their own server on
# a loopback port with a temp storage dir (sandbox/traffic/prometheus.ts), so
# the distribution's service must stay stopped. Idempotent: does nothing when
# prometheus is on PATH. Assumes the caller already ran `apt-get update`.
set -eu

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: already installed ($(prometheus --version 2>&1 | head -n 1))"
  exit 0
fi

added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  added_policy=1
fi
trap 'if [ -n "$added_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
echo "prometheus: installed ($(prometheus --version 2>&1 | head -n 1))"
