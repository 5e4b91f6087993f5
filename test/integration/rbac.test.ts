// templates/rbac.yaml is the Role users give grayctl, written for their app.
// Every API request that grayctl makes in a first deploy, a promoted canary, a
// rolled-back canary, status, history and rollback is recorded on the sandbox
// and checked against it, names included (resourceNames), as RBAC checks them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { readRbacTemplate } from "../../src/cli/shared/rbac-template.ts";
import { classify } from "../helpers/api-requests.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const CONFIG = `app: rbac
traffic:
  router: nginx
  host: rbac.local
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 6s
`;

const requests: { method: string; url: string }[] = [];
let app: SandboxApp;
before(async () => {
  app = await startSandboxApp(CONFIG, { onRequest: (method, url) => requests.push({ method, url }) });
});
after(async () => {
  await app.stop();
});

test("templates/rbac.yaml allows every request grayctl makes", async () => {
  const run = async (args: string[], expected: number) => {
    const result = await app.grayctl(args);
    assert.equal(result.code, expected, `${args.join(" ")}: ${result.stderr}`);
  };
  await run(["rollout", "--image", demoImage("v1")], 0);
  await run(["rollout", "--image", demoImage("v2")], 0);
  await run(["rollout", "--image", demoImage("v3-unhealthy")], 3);
  await run(["status"], 0);
  await run(["history"], 0);
  await run(["rollback"], 0); // the last rollout was already rolled back: a no-op that says how to go further
  await run(["rollback", "--to-revision", "1"], 0);

  const docs = parseAllDocuments(await readRbacTemplate("rbac.yaml", "rbac"));
  const role = docs.map((d) => d.toJS()).find((d) => d?.kind === "Role");
  const rules = role.rules as Rule[];
  // A rule with resourceNames allows only requests that name one of them (a create names none).
  const allowed = (group: string, resource: string, verb: string, name: string | undefined) =>
    rules.some(
      (r) =>
        r.apiGroups.includes(group) &&
        r.resources.includes(resource) &&
        r.verbs.includes(verb) &&
        (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
    );

  const seen = new Set<string>();
  for (const { method, url } of requests) {
    const call = classify(method, url);
    if (!call) continue;
    seen.add(`${call.group}/${call.resource}:${call.verb}`);
    assert.ok(
      allowed(call.group, call.resource, call.verb, call.name),
      `the Role does not allow ${call.verb} ${call.group || "core"}/${call.resource} (${method} ${url})`,
    );
  }
  // The check is only as good as what it saw: the main kinds of request were made.
  for (const expected of [
    "apps/deployments:create",
    "apps/deployments:patch",
    "/configmaps:update",
    "coordination.k8s.io/leases:update",
    "/pods/proxy:get",
    "networking.k8s.io/ingresses:patch",
    "/events:create",
  ]) {
    assert.ok(seen.has(expected), `grayctl was seen making ${expected}; saw ${[...seen].join(", ")}`);
  }
});
