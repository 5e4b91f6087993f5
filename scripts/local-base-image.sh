#!/usr/bin/env bash
# Builds a stand-in for gcr.io/distroless/cc-debian12 from Debian's own packages,
# for machines that cannot pull images (the tests here): glibc, libstdc++,
# libgcc_s and CA certificates unpacked into one folder and imported as a
# one-layer image. The Dockerfile takes it as its BASE build argument.
# Run: bash scripts/local-base-image.sh [NAME]   (default local/cc-base:bookworm;
#      does nothing when the image exists already)
set -euo pipefail
name="${1:-local/cc-base:bookworm}"
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "$name"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/debs" "$work/root"
# apt downloads as its own user (_apt), which must reach the folder.
chmod 755 "$work"
chmod 777 "$work/debs"
(cd "$work/debs" && apt-get download libc6 libstdc++6 libgcc-s1 ca-certificates >/dev/null)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
# ca-certificates ships the certificates; its postinst (not run here) makes the bundle programs read.
mkdir -p "$work/root/etc/ssl/certs" "$work/root/tmp"
find "$work/root/usr/share/ca-certificates" -name '*.crt' -exec cat {} + >"$work/root/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$work/root/tmp"
tar -C "$work/root" -c . | docker import - "$name" >/dev/null
echo "$name"
