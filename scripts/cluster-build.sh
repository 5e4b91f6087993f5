#!/usr/bin/env bash
# Builds the real control plane (cluster/: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler from their official Go modules,
# one multi-call binary) into .cluster-bin/, reusing Go's build and module
# caches. Cold on 2 cores it takes minutes; warm, seconds (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null; then
  echo "cluster-build: Go is not installed (Go >= 1.26 is needed for Kubernetes 1.37)" >&2
  exit 1
fi
bash scripts/cluster-replace.sh --check
# Modules the launcher reads CRD manifests from, pinned in cluster/go.mod.
(cd cluster && go mod download sigs.k8s.io/gateway-api istio.io/api)
start=$(date +%s)
# -trimpath keeps the build cache keyed independently of the checkout's path, so
# a fresh clone elsewhere reuses a warm cache.
# The version the components report (kubectl version, /version), as Kubernetes'
# own hack/lib/version.sh stamps it; a plain go build would say v0.0.0-master.
version=$(cd cluster && go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(cut -d. -f2 <<<"$version")
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(cd cluster && go build -trimpath -ldflags "$ldflags" -o ../.cluster-bin/grayctl-cluster .)
echo "cluster-build: .cluster-bin/grayctl-cluster, Kubernetes $version ($(du -h .cluster-bin/grayctl-cluster | cut -f1)) in $(($(date +%s) - start)) s"
