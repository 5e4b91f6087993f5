//go:build tools

// The CRDs the cluster installs come from these modules' own manifests
// (sigs.k8s.io/gateway-api config/crd/standard, istio.io/api
// kubernetes/customresourcedefinitions.gen.yaml). Importing a package of each
// pins their versions in go.mod and go.sum; the build tag keeps them out of
// the binary.
package main

import (
	_ "istio.io/api/networking/v1"
	_ "sigs.k8s.io/gateway-api/apis/v1"
)
