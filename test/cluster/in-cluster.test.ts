// grayctl inside the cluster, on the real control plane (issue 23, kubeconfig;
// issue 19, point 3): no kubeconfig, only what a kubelet gives a pod — a token
// from the real TokenRequest API for the ServiceAccount of templates/rbac.yaml,
// the cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount,
// and KUBERNETES_SERVICE_HOST/PORT. Here grayctl runs as a process of the
// test's own with that layout at the real path, in a mount namespace of its own
// (`unshare --mount`, a tmpfs over /run), so no other process on the machine
// sees it; in-cluster-pod.test.ts runs it in a real Pod, with the node agent
// projecting the ServiceAccount (decision 039). Also here: a wrong CA named as a TLS
// failure, and the expiry warning for a real short-lived token.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { type ApiTarget, apiCall } from "../../cluster/api.ts";
import { BIN, type CliResult, runCli, UNBUNDLED } from "../helpers/cli.ts";
import {
  adminTarget,
  appRbac,
  clusterKubeconfig,
  deleteNamespace,
  namespaceWithRole,
  testNamespace,
} from "../helpers/cluster-sandbox.ts";
import { demoImage } from "../helpers/sandbox-app.ts";
import { selfSigned } from "../helpers/tls-front.ts";

const ADMIN = clusterKubeconfig();
const NAMESPACE = testNamespace("incluster");
let admin: ApiTarget;
let token: string;
let dir: string;

before(async () => {
  if (!ADMIN) throw new Error("GRAYCTL_TEST_CLUSTER is not set: run these through `npm run test:cluster`");
  admin = await adminTarget(ADMIN);
  // The namespace, templates/rbac.yaml (app shop's Role) applied by kubectl, and a TokenRequest token for its ServiceAccount.
  token = await namespaceWithRole(admin, ADMIN, NAMESPACE, await appRbac("shop"));
  dir = await mkdtemp(join(tmpdir(), "grayctl-incluster-"));
  const account = join(dir, "serviceaccount");
  await mkdir(account);
  await writeFile(join(account, "token"), token);
  await writeFile(join(account, "ca.crt"), admin.caPem);
  await writeFile(join(account, "namespace"), NAMESPACE);
  await mkdir(join(dir, "home"));
  // No namespace: the pod's namespace file says where.
  await writeFile(
    join(dir, "grayctl.yaml"),
    "app: shop\ndeployment:\n  replicas: 1\ntraffic:\n  router: replicas\nrollout:\n  scaleDownDelay: 0s\n",
  );
});
after(async () => {
  if (ADMIN && admin) await deleteNamespace(admin, NAMESPACE);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** grayctl as a process in a pod: the ServiceAccount at the real path (in its own mount namespace), no kubeconfig. */
function inPod(args: string[]): Promise<CliResult> {
  const server = new URL(admin.server);
  const mount = "/var/run/secrets/kubernetes.io/serviceaccount";
  const script = [
    "set -e",
    "mount -t tmpfs tmpfs /run",
    `mkdir -p ${mount}`,
    `cp "$SA"/token "$SA"/ca.crt "$SA"/namespace ${mount}/`,
    'exec "$NODE" "$GRAYCTL" "$@"',
  ].join("\n");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(dir, "home"),
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
    SA: join(dir, "serviceaccount"),
    NODE: process.execPath,
    GRAYCTL: BIN,
    GRAYCTL_ACTOR: "in-cluster-test",
    ...UNBUNDLED,
  };
  return new Promise((resolve) => {
    execFile(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", script, "sh", "--config", join(dir, "grayctl.yaml"), ...args],
      { env, cwd: dir, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("in a pod: grayctl finds the API, the token and the namespace the kubelet's layout gives, and deploys with them", async () => {
  const status = await inPod(["status"]);
  assert.equal(status.code, 0, status.stderr);
  const rollout = await inPod(["rollout", "--image", demoImage("v1")]);
  assert.equal(rollout.code, 0, rollout.stderr + rollout.stdout);
  // It landed in the namespace the pod's namespace file names; the token was grayctl's only credential.
  const deployment = await apiCall(admin, "GET", `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/shop`);
  assert.equal(deployment.status, 200, deployment.body);
  const history = await inPod(["history"]);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /in-cluster-test/);
  for (const output of [status, rollout, history]) assert.ok(!(output.stdout + output.stderr).includes(token));
});

test("a kubeconfig for the real API server with a CA that did not sign its certificate: exit 2, a TLS failure named", async () => {
  const stranger = await selfSigned("not-the-cluster-ca");
  const path = join(dir, "wrong-ca.yaml");
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "real",
          cluster: {
            server: admin.server,
            "certificate-authority-data": Buffer.from(stranger.certPem).toString("base64"),
          },
        },
      ],
      users: [{ name: "grayctl", user: { token } }],
      contexts: [{ name: "real", context: { cluster: "real", user: "grayctl", namespace: NAMESPACE } }],
      "current-context": "real",
    }),
    { mode: 0o600 },
  );
  const result = await runCli(["--kubeconfig", path, "--config", join(dir, "grayctl.yaml"), "status"], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`TLS failure talking to ${admin.server.replace(/\./g, "\\.")}: `));
  assert.doesNotMatch(result.stderr, /fetch failed|internal error/);
});

/** `grayctl status` as user ci-bot (context prod) with a real TokenRequest token of `seconds`. */
async function statusWithTokenOf(seconds: number) {
  const request = {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: seconds },
  };
  const answer = await apiCall(admin, "POST", `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/grayctl/token`, request);
  assert.equal(answer.status, 201, answer.body);
  const { token: shortLived, expirationTimestamp } = JSON.parse(answer.body).status;
  const path = join(dir, `token-${seconds}.yaml`);
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "real",
          cluster: { server: admin.server, "certificate-authority-data": Buffer.from(admin.caPem).toString("base64") },
        },
      ],
      users: [{ name: "ci-bot", user: { token: shortLived } }],
      contexts: [{ name: "prod", context: { cluster: "real", user: "ci-bot", namespace: NAMESPACE } }],
      "current-context": "prod",
    }),
    { mode: 0o600 },
  );
  const result = await runCli(["--kubeconfig", path, "--config", join(dir, "grayctl.yaml"), "status"], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 0, result.stderr);
  for (const part of shortLived.split(".")) assert.ok(!(result.stderr + result.stdout).includes(part));
  return { result, expiry: new Date(expirationTimestamp).toISOString().replace(/\.\d{3}Z$/, "Z") };
}

test("real TokenRequest tokens minted for the job: 1 h is not warned about; 10 min left warns, naming the user, the context and the date", async () => {
  // Short-lived by design (lifetime from iat to exp under a day): warned only with under 30 min left (decision 036).
  const hour = await statusWithTokenOf(3600);
  assert.doesNotMatch(hour.result.stderr, /the token of user/);
  const tenMinutes = await statusWithTokenOf(600);
  assert.match(
    tenMinutes.result.stderr,
    new RegExp(
      `the token of user "ci-bot" \\(context "prod"\\) expires on ${tenMinutes.expiry} \\(in \\d+ minutes\\): a command running past it`,
    ),
  );
});
