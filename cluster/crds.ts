// CRDs from the projects' own manifests, as shipped in their Go modules (pinned
// in cluster/go.mod): Gateway API's HTTPRoute, Gateway and GatewayClass from
// sigs.k8s.io/gateway-api config/crd/standard, Istio's VirtualService and
// DestinationRule from istio.io/api kubernetes/customresourcedefinitions.gen.yaml.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { type ApiTarget, apiCall, waitFor } from "./api.ts";

const GATEWAY_API = "sigs.k8s.io/gateway-api";
const ISTIO_API = "istio.io/api";
const GATEWAY_FILES = ["gatewayclasses", "gateways", "httproutes"].map(
  (plural) => `config/crd/standard/gateway.networking.k8s.io_${plural}.yaml`,
);
const ISTIO_FILE = "kubernetes/customresourcedefinitions.gen.yaml";
const ISTIO_CRDS = new Set(["virtualservices.networking.istio.io", "destinationrules.networking.istio.io"]);

// biome-ignore lint/suspicious/noExplicitAny: CRD manifests are unstructured
type Manifest = any;

/** Where the Go module cache holds each module, at the versions cluster/go.mod pins. */
function moduleDirs(clusterDir: string): Map<string, string> {
  const out = execFileSync("go", ["list", "-m", "-f", "{{.Path}} {{.Dir}}", GATEWAY_API, ISTIO_API], {
    cwd: clusterDir,
    encoding: "utf8",
  });
  const dirs = new Map<string, string>();
  for (const line of out.trim().split("\n")) {
    const [path, dir] = line.split(" ");
    if (!dir) throw new Error(`${path} is not in the Go module cache: run scripts/cluster-build.sh`);
    dirs.set(path, dir);
  }
  return dirs;
}

function documents(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJS())
    .filter((doc) => doc?.kind === "CustomResourceDefinition");
}

export function officialCrds(clusterDir: string): { source: string; crds: Manifest[] }[] {
  const dirs = moduleDirs(clusterDir);
  const gateway = dirs.get(GATEWAY_API)!;
  const istio = dirs.get(ISTIO_API)!;
  return [
    ...GATEWAY_FILES.map((file) => ({ source: `${GATEWAY_API} ${file}`, crds: documents(join(gateway, file)) })),
    {
      source: `${ISTIO_API} ${ISTIO_FILE}`,
      crds: documents(join(istio, ISTIO_FILE)).filter((crd) => ISTIO_CRDS.has(crd.metadata.name)),
    },
  ];
}

/** Creates the CRDs (an existing one is left as it is) and waits until each is Established. */
export async function installCrds(target: ApiTarget, clusterDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const { source, crds } of officialCrds(clusterDir)) {
    if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${source}`);
    for (const crd of crds) {
      const answer = await apiCall(target, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      if (answer.status !== 201 && answer.status !== 409)
        throw new Error(`creating CRD ${crd.metadata.name}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      names.push(crd.metadata.name);
    }
  }
  for (const name of names) {
    await waitFor(`CRD ${name} to be Established`, 30_000, async () => {
      const answer = await apiCall(target, "GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions: { type: string; status: string }[] = JSON.parse(answer.body).status?.conditions ?? [];
      return conditions.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
    });
  }
  return names;
}
