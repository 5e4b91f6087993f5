#!/bin/sh
# Installs and starts the real parts the `npm run test:real` suite talks to, on
# a fresh Debian/Ubuntu machine, as root: Docker Engine (host network, vfs),
# an image registry on 127.0.0.1:5000, Prometheus and nginx binaries (the tests
# start their own instances on loopback ports), and htpasswd for the
# basic-auth registry test. Idempotent: parts already present are left alone.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/real-parts.sh installs packages and starts dockerd: run it as root (sudo)." >&2
  exit 2
fi

missing=""
for tool in dockerd docker-registry prometheus nginx htpasswd curl; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "real parts: missing$missing; running apt-get update once"
  apt-get update -qq
fi
command -v htpasswd >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2-utils

sh scripts/real-parts/docker.sh
sh scripts/real-parts/registry.sh
sh scripts/real-parts/prometheus.sh
sh scripts/real-parts/nginx.sh
echo "real parts: ready"
