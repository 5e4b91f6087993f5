// grayctl in a real Pod on the real control plane (issue 20, in-cluster
// configuration; issue 23, "a pod using its mounted ServiceAccount token"):
// the project's node agent runs the pod as a kubelet would — a TokenRequest
// token bound to the pod, the cluster CA and the namespace mounted at
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT
// set, and the `kubernetes` Service address reachable from the pod's own
// network namespace (decision 039). grayctl runs from the process driver's
// sandbox.local/grayctl image with no kubeconfig; what it printed comes back
// through the API as the failed container's termination message
// (terminationMessagePolicy FallbackToLogsOnError), since the agent serves no pods/log.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type ApiTarget, apiCall, waitFor } from "../../cluster/api.ts";
import {
  adminTarget,
  appRbac,
  clusterKubeconfig,
  deleteNamespace,
  namespaceWithRole,
  testNamespace,
} from "../helpers/cluster-sandbox.ts";
import { demoImage } from "../helpers/sandbox-app.ts";

const ADMIN = clusterKubeconfig();
const NAMESPACE = testNamespace("inpod");
let admin: ApiTarget;
let dir: string;

before(async () => {
  if (!ADMIN) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  admin = await adminTarget(ADMIN);
  await namespaceWithRole(admin, ADMIN, NAMESPACE, await appRbac("shop"));
  // Process pods see the node's files: the configuration is read from here (no namespace in it).
  dir = await mkdtemp(join(tmpdir(), "grayctl-inpod-"));
  await mkdir(join(dir, "home"));
  await writeFile(
    join(dir, "grayctl.yaml"),
    "app: shop\ndeployment:\n  replicas: 1\ntraffic:\n  router: replicas\nrollout:\n  scaleDownDelay: 0s\n",
  );
});
after(async () => {
  if (ADMIN && admin) await deleteNamespace(admin, NAMESPACE);
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Terminated {
  exitCode: number;
  message?: string;
}

/** Runs grayctl ARGS in a Pod (restartPolicy Never) and waits for its container to end. */
async function grayctlPod(name: string, args: string[], spec: Record<string, unknown> = {}): Promise<Terminated> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      restartPolicy: "Never",
      ...spec,
      containers: [
        {
          name: "grayctl",
          image: "sandbox.local/grayctl:test",
          args: ["--config", join(dir, "grayctl.yaml"), ...args],
          terminationMessagePolicy: "FallbackToLogsOnError",
          // HOME has no .kube/config: the in-cluster configuration is all grayctl has.
          env: [
            { name: "HOME", value: join(dir, "home") },
            { name: "GRAYCTL_UNBUNDLED", value: "1" },
          ],
        },
      ],
    },
  };
  const created = await apiCall(admin, "POST", `/api/v1/namespaces/${NAMESPACE}/pods`, pod);
  assert.equal(created.status, 201, created.body);
  const end = await waitFor(`pod ${name} to end`, 90_000, async () => {
    const answer = await apiCall(admin, "GET", `/api/v1/namespaces/${NAMESPACE}/pods/${name}`);
    const state = JSON.parse(answer.body).status?.containerStatuses?.[0]?.state;
    // An agent that cannot run the image says so at once; no point waiting out the deadline.
    if (/ErrImagePull|ImagePullBackOff|CreateContainerError/.test(state?.waiting?.reason ?? "")) return state;
    return state?.terminated ? state : undefined;
  });
  assert.ok(end.terminated, `pod ${name}: ${end.waiting?.reason}: ${end.waiting?.message}`);
  return end.terminated as Terminated;
}

test("a pod with the Role's ServiceAccount runs grayctl with no kubeconfig: status, a forbidden read named for the account, a rollout", async () => {
  const [status, forbidden, byDefault] = await Promise.all([
    grayctlPod("status", ["status"], { serviceAccountName: "grayctl" }),
    grayctlPod("forbidden", ["-n", "kube-system", "status"], { serviceAccountName: "grayctl" }),
    // No serviceAccountName: the namespace's "default" account, which no Role names.
    grayctlPod("by-default", ["status"]),
  ]);
  assert.equal(status.exitCode, 0, status.message);
  // The API server judged the mounted token as the pod's ServiceAccount.
  assert.equal(forbidden.exitCode, 2);
  assert.match(
    forbidden.message ?? "",
    new RegExp(
      `permission denied: system:serviceaccount:${NAMESPACE}:grayctl cannot get \\S+ in namespace kube-system\\n`,
    ),
  );
  assert.equal(byDefault.exitCode, 2);
  // (Which read comes first is grayctl's business; who was refused is the point.)
  assert.match(
    byDefault.message ?? "",
    new RegExp(
      `permission denied: system:serviceaccount:${NAMESPACE}:default cannot get \\S+ in namespace ${NAMESPACE}\\n`,
    ),
  );

  const rollout = await grayctlPod("rollout", ["rollout", "--image", demoImage("v1")], {
    serviceAccountName: "grayctl",
  });
  assert.equal(rollout.exitCode, 0, rollout.message);
  // It landed in the namespace of the pod's namespace file.
  const deployment = await apiCall(admin, "GET", `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/shop`);
  assert.equal(deployment.status, 200, deployment.body);
  assert.equal(JSON.parse(deployment.body).spec.template.spec.containers[0].image, demoImage("v1"));
});

test("automountServiceAccountToken: false: no token is mounted, and grayctl says so", async () => {
  const result = await grayctlPod("no-token", ["status"], {
    serviceAccountName: "grayctl",
    automountServiceAccountToken: false,
  });
  assert.equal(result.exitCode, 2);
  assert.match(result.message ?? "", /KUBERNETES_SERVICE_HOST is set but no ServiceAccount token is mounted/);
});
