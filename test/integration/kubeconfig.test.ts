// Finding the cluster as kubectl does (issue 23, kubeconfig; issue 19, point 3):
// KUBECONFIG lists merged, the context's namespace as the default, the
// in-cluster configuration, no kubeconfig at all, and connection failures named.
// Every kubeconfig here is a real file, read by the built grayctl; the API is
// the sandbox's, behind a real TLS front where https is needed.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { type Sandbox, startSandbox } from "../../sandbox/index.ts";
import { runCli } from "../helpers/cli.ts";
import { selfSigned, startTlsFront, type TlsFront } from "../helpers/tls-front.ts";

/** A JWT as the API server issues them (only its claims matter to grayctl): expiring `expiresInMs` from now. */
function jwt(expiresInMs: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const exp = Math.floor((Date.now() + expiresInMs) / 1000);
  return `${part({ alg: "RS256", kid: "k" })}.${part({ iss: "https://kubernetes.default.svc", sub: "system:serviceaccount:team:grayctl", exp })}.c2lnbmF0dXJl`;
}
const DAY = 24 * 60 * 60 * 1000;
const TOKEN = jwt(3 * DAY + 60_000);

let sandbox: Sandbox;
let front: TlsFront;
let dir: string;
const requests: string[] = [];

before(async () => {
  sandbox = await startSandbox({
    workloads: false,
    traffic: false,
    namespaces: ["team", "other"],
    token: TOKEN,
    onRequest: (method, url) => requests.push(`${method} ${url}`),
  });
  front = await startTlsFront(sandbox.url);
  dir = await mkdtemp(join(tmpdir(), "grayctl-kubeconfig-"));
  // No namespace: it comes from the kubeconfig context, or -n.
  await writeFile(join(dir, "grayctl.yaml"), "app: shop\n");
});
after(async () => {
  await front?.stop();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Entry {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
}
/** Writes a kubeconfig file with the named clusters, users and contexts. */
async function kubeconfig(
  name: string,
  parts: {
    clusters?: Record<string, Entry["cluster"]>;
    users?: Record<string, Entry["user"]>;
    contexts?: Record<string, Entry["context"]>;
    current?: string;
  },
): Promise<string> {
  const path = join(dir, name);
  const list = (entries: Record<string, unknown> | undefined, key: string) =>
    Object.entries(entries ?? {}).map(([entryName, value]) => ({ name: entryName, [key]: value }));
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: list(parts.clusters, "cluster"),
      users: list(parts.users, "user"),
      contexts: list(parts.contexts, "context"),
      ...(parts.current ? { "current-context": parts.current } : {}),
    }),
    { mode: 0o600 },
  );
  return path;
}

const sandboxCluster = () => ({ server: sandbox.url, "insecure-skip-tls-verify": true });
const caData = (pem: string) => Buffer.from(pem).toString("base64");

/** grayctl with nothing of this machine's own configuration: no KUBECONFIG, an empty HOME, not in a pod. */
function grayctl(args: string[], env: Record<string, string | undefined> = {}) {
  return runCli(["--config", join(dir, "grayctl.yaml"), ...args], {
    cwd: dir,
    timeoutMs: 30_000,
    env: {
      HOME: join(dir, "home"),
      KUBECONFIG: undefined,
      KUBERNETES_SERVICE_HOST: undefined,
      KUBERNETES_SERVICE_PORT: undefined,
      POD_NAMESPACE: undefined,
      GRAYCTL_TEST: "1",
      GRAYCTL_TEST_SERVICE_ACCOUNT_DIR: join(dir, "no-service-account"),
      ...env,
    },
  });
}

/** The namespaces the API was asked about since `from` (index into `requests`). */
const namespacesAsked = (from: number) =>
  new Set(requests.slice(from).flatMap((line) => /\/namespaces\/([^/?]+)\//.exec(line)?.[1] ?? []));

test("KUBECONFIG=a:b merges the files as kubectl does: first file wins each name, current-context from the first that sets one", async () => {
  // a: the real cluster and user, and context "work" (namespace team), but no current-context.
  const a = await kubeconfig("a.yaml", {
    clusters: { sandbox: sandboxCluster() },
    users: { me: { token: TOKEN } },
    contexts: { work: { cluster: "sandbox", user: "me", namespace: "team" } },
  });
  // b: current-context "work", and the same names pointing elsewhere (a refused port, a wrong token, namespace other).
  const b = await kubeconfig("b.yaml", {
    clusters: { sandbox: { server: "http://127.0.0.1:9", "insecure-skip-tls-verify": true } },
    users: { me: { token: "wrong" } },
    contexts: { work: { cluster: "sandbox", user: "me", namespace: "other" } },
    current: "work",
  });
  const from = requests.length;
  const result = await grayctl(["status"], { KUBECONFIG: `${a}:${join(dir, "missing.yaml")}:${b}` });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...namespacesAsked(from)], ["team"]);
});

test("the namespace: -n beats grayctl.yaml, grayctl.yaml beats the kubeconfig context's, and that beats default", async () => {
  const file = await kubeconfig("team.yaml", {
    clusters: { sandbox: sandboxCluster() },
    users: { me: { token: TOKEN } },
    contexts: {
      work: { cluster: "sandbox", user: "me", namespace: "team" },
      plain: { cluster: "sandbox", user: "me" },
    },
    current: "work",
  });
  const asked = async (args: string[], config = "app: shop\n") => {
    await writeFile(join(dir, "grayctl.yaml"), config);
    const from = requests.length;
    const result = await grayctl(["--kubeconfig", file, ...args, "status"]);
    assert.equal(result.code, 0, result.stderr);
    return [...namespacesAsked(from)];
  };
  try {
    assert.deepEqual(await asked([]), ["team"], "the context's namespace when grayctl.yaml names none");
    assert.deepEqual(await asked(["--context", "plain"]), ["default"], "default when neither names one");
    assert.deepEqual(await asked([], "app: shop\nnamespace: other\n"), ["other"], "grayctl.yaml beats the context");
    assert.deepEqual(await asked(["-n", "default"], "app: shop\nnamespace: other\n"), ["default"], "-n beats both");
  } finally {
    await writeFile(join(dir, "grayctl.yaml"), "app: shop\n");
  }
});

test("no kubeconfig at all: exit 2 naming where grayctl looked and what to pass (not a fall-back to localhost:8080)", async () => {
  const result = await grayctl(["status"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /no kubeconfig found: KUBECONFIG is not set; .*home\/\.kube\/config does not exist; not inside a cluster/,
  );
  assert.match(result.stderr, /Pass --kubeconfig FILE, set KUBECONFIG=FILE/);
  assert.doesNotMatch(result.stderr, /internal error|localhost:8080|HTTP protocol/);
  const listed = await grayctl(["status"], { KUBECONFIG: `${join(dir, "gone-1")}:${join(dir, "gone-2")}` });
  assert.equal(listed.code, 2);
  assert.match(listed.stderr, /KUBECONFIG lists .*gone-1, .*gone-2, none of which exists/);
});

test("in a pod: the mounted ServiceAccount token, CA and namespace, and KUBERNETES_SERVICE_HOST/PORT, with no kubeconfig", async () => {
  // The layout the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount (moved for the test: test-hooks.ts says why).
  const account = join(dir, "serviceaccount");
  await mkdir(account, { recursive: true });
  await writeFile(join(account, "token"), TOKEN);
  await writeFile(join(account, "ca.crt"), front.certificate.certPem);
  await writeFile(join(account, "namespace"), "team");
  const pod = {
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(front.port),
    GRAYCTL_TEST_SERVICE_ACCOUNT_DIR: account,
  };
  const from = requests.length;
  const result = await grayctl(["status"], pod);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...namespacesAsked(from)], ["team"]);
  // The token is what authenticates: a wrong one is refused (the sandbox checks it), and never printed.
  await writeFile(join(account, "token"), "not-the-token");
  const refused = await grayctl(["status"], pod);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /did not accept the kubeconfig's credentials \(401/);
  assert.doesNotMatch(refused.stderr + refused.stdout, /not-the-token/);
});

test("a kubeconfig token that expires within 7 days: a warning naming the user, the context and the date, never the token", async () => {
  const file = await kubeconfig("expiring.yaml", {
    clusters: { sandbox: sandboxCluster() },
    users: { "ci-bot": { token: TOKEN } },
    contexts: { prod: { cluster: "sandbox", user: "ci-bot", namespace: "team" } },
    current: "prod",
  });
  const result = await grayctl(["--kubeconfig", file, "status"]);
  assert.equal(result.code, 0, result.stderr);
  const day = new Date(Date.now() + 3 * DAY + 60_000).toISOString().slice(0, 10);
  assert.match(
    result.stderr,
    new RegExp(`the token of user "ci-bot" \\(context "prod"\\) expires on ${day}T[\\d:]+Z \\(in 3 days\\)`),
  );
  for (const part of TOKEN.split("."))
    assert.ok(!(result.stderr + result.stdout).includes(part), "a part of the token was printed");
  // A token a month away: no warning (the sandbox refuses it, which does not matter here).
  const later = jwt(30 * DAY);
  const quiet = await kubeconfig("later.yaml", {
    clusters: { sandbox: sandboxCluster() },
    users: { "ci-bot": { token: later } },
    contexts: { prod: { cluster: "sandbox", user: "ci-bot" } },
    current: "prod",
  });
  const silent = await grayctl(["--kubeconfig", quiet, "status"]);
  assert.doesNotMatch(silent.stderr, /expires on/);
});

test("connection failures are named: refused with the server's address, an unresolvable host, a TLS failure", async () => {
  const closed = await freePort();
  const refused = await kubeconfig("refused.yaml", {
    clusters: {
      c: { server: `https://127.0.0.1:${closed}`, "certificate-authority-data": caData(front.certificate.certPem) },
    },
    users: { me: { token: TOKEN } },
    contexts: { x: { cluster: "c", user: "me" } },
    current: "x",
  });
  const scaled = { GRAYCTL_TEST_CALL_BUDGET_MS: "1500" };
  const one = await grayctl(["--kubeconfig", refused, "status"], scaled);
  assert.equal(one.code, 6, one.stderr);
  assert.match(one.stderr, new RegExp(`connection refused: https://127\\.0\\.0\\.1:${closed}`));
  assert.doesNotMatch(one.stderr, /fetch failed/);

  const nowhere = await kubeconfig("nowhere.yaml", {
    clusters: { c: { server: "https://grayctl-no-such-host.invalid:6443" } },
    users: { me: { token: TOKEN } },
    contexts: { x: { cluster: "c", user: "me" } },
    current: "x",
  });
  const two = await grayctl(["--kubeconfig", nowhere, "status"], scaled);
  assert.equal(two.code, 2, two.stderr);
  assert.match(
    two.stderr,
    /cannot resolve host grayctl-no-such-host\.invalid \(https:\/\/grayctl-no-such-host\.invalid:6443\)/,
  );
  assert.doesNotMatch(two.stderr, /fetch failed/);

  // The right server over TLS, but a CA that did not sign its certificate.
  const stranger = await selfSigned("someone-else");
  const wrongCa = await kubeconfig("wrong-ca.yaml", {
    clusters: { c: { server: front.url, "certificate-authority-data": caData(stranger.certPem) } },
    users: { me: { token: TOKEN } },
    contexts: { x: { cluster: "c", user: "me" } },
    current: "x",
  });
  const three = await grayctl(["--kubeconfig", wrongCa, "status"], scaled);
  assert.equal(three.code, 2, three.stderr);
  assert.match(three.stderr, new RegExp(`TLS failure talking to ${front.url.replace(/\./g, "\\.")}: `));
  assert.match(three.stderr, /certificate-authority/);
  assert.doesNotMatch(three.stderr, /fetch failed/);
  // With its own CA the same server answers.
  const rightCa = await kubeconfig("right-ca.yaml", {
    clusters: { c: { server: front.url, "certificate-authority-data": caData(front.certificate.certPem) } },
    users: { me: { token: TOKEN } },
    contexts: { x: { cluster: "c", user: "me", namespace: "team" } },
    current: "x",
  });
  const four = await grayctl(["--kubeconfig", rightCa, "status"]);
  assert.equal(four.code, 0, four.stderr);
});

/** A port nothing listens on (taken, then let go). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
