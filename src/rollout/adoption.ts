// Before a rollout writes anything (docs/decisions/001-cluster-model.md): the objects
// grayctl would act through must be its own, or fit its model, or it refuses.
//  - another grayctl app's object under one of this app's names (apps `x` and
//    `x-canary` in one namespace: x's canary objects are x-canary's stable ones);
//  - a canary Deployment grayctl did not create;
//  - a stable Deployment whose selector lacks track=stable (the canary's pods,
//    which carry stable's labels with track=canary, would match it) or whose
//    pods lack app/track labels (Service <app>-stable would have no endpoints
//    while the router sends it traffic);
//  - a Service whose selector is not the one grayctl gives it (it would be
//    reused as is, sending a track's traffic wherever it points).
// Objects that fit are adopted, and said so; nothing is changed to make them fit.
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import { MANAGED_BY, names, trackLabels } from "../kube/names.ts";
import type { RolloutContext } from "./context.ts";

const MANAGED_BY_KEY = Object.keys(MANAGED_BY)[0];
type Labels = Record<string, string> | undefined;

export interface AdoptionInput {
  app: string;
  namespace: string;
  stable?: V1Deployment;
  canary?: V1Deployment;
  services: { name: string; selector: Record<string, string>; found?: V1Service }[];
}

export interface AdoptionVerdict {
  problems: string[];
  adopted: string[];
}

export async function checkAdoption(ctx: RolloutContext): Promise<void> {
  const { app, namespace } = ctx.config;
  const n = names(app);
  const wanted = [
    { name: n.service, selector: { app } },
    { name: n.stableService, selector: trackLabels(app, "stable") },
    { name: n.canaryService, selector: trackLabels(app, "canary") },
  ];
  const [stable, canary, ...found] = await Promise.all([
    ctx.cluster.getDeployment(n.stable),
    ctx.cluster.getDeployment(n.canary),
    ...wanted.map((s) => ctx.cluster.getService(s.name)),
  ]);
  const verdict = judgeAdoption({
    app,
    namespace,
    stable,
    canary,
    services: wanted.map((s, index) => ({ ...s, found: found[index] })),
  });
  if (verdict.problems.length > 0)
    throw new UsageError(
      `grayctl will not roll out ${app} in namespace ${namespace} over objects it does not own:\n${verdict.problems.map((p) => `  - ${p}`).join("\n")}`,
      "Nothing was changed. See docs/decisions/001-cluster-model.md for the objects and labels grayctl expects.",
    );
  for (const adopted of verdict.adopted) ctx.reporter.info(`adopting ${adopted}`);
}

/** Pure: what refuses the rollout, and what is adopted as it is. */
export function judgeAdoption(input: AdoptionInput): AdoptionVerdict {
  const { app } = input;
  const n = names(app);
  const problems: string[] = [];
  const adopted: string[] = [];
  const objects: [string, { metadata?: { labels?: Labels } } | undefined][] = [
    [`Deployment ${n.stable}`, input.stable],
    [`Deployment ${n.canary}`, input.canary],
    ...input.services.map((s): [string, V1Service | undefined] => [`Service ${s.name}`, s.found]),
  ];
  const foreign = new Set<string>();
  for (const [what, object] of objects) {
    const owner = object && ownerApp(object.metadata?.labels);
    if (owner === undefined || owner === app) continue;
    foreign.add(what);
    problems.push(`${what} belongs to grayctl app ${owner}, not ${app}${collision(app, owner)}`);
  }

  if (input.canary && !foreign.has(`Deployment ${n.canary}`) && ownerApp(input.canary.metadata?.labels) !== app)
    problems.push(
      `Deployment ${n.canary} exists and was not created by grayctl (no ${MANAGED_BY_KEY}: grayctl label): grayctl would take it over as the canary of ${app}; rename or delete it`,
    );

  const stable = input.stable;
  if (stable && !foreign.has(`Deployment ${n.stable}`)) {
    const selector = stable.spec?.selector;
    const podLabels = stable.spec?.template?.metadata?.labels ?? {};
    const fits = [
      selector?.matchLabels?.track === "stable" && !selector.matchExpressions?.length
        ? undefined
        : `selects its pods by ${show(selector?.matchLabels)}${selector?.matchExpressions?.length ? " and matchExpressions" : ""}, without track=stable: the canary's pods (stable's labels with track=canary) would match it too`,
      podLabels.app === app && podLabels.track === "stable"
        ? undefined
        : `its pods are labelled ${show(podLabels)}, not app=${app},track=stable: Service ${n.stableService} would have no endpoints while the router sends it traffic`,
    ].filter((problem): problem is string => problem !== undefined);
    if (fits.length > 0)
      problems.push(
        `Deployment ${n.stable} ${fits.join("; and ")}. A selector cannot change in place: recreate the Deployment with spec.selector.matchLabels {app: ${app}, track: stable} and those labels on its pod template (or let grayctl create it: delete it and run a first deploy)`,
      );
    else if (ownerApp(stable.metadata?.labels) === undefined)
      adopted.push(
        `Deployment ${n.stable} (created outside grayctl; its selector and pod labels fit: app=${app},track=stable)`,
      );
  }

  for (const service of input.services) {
    if (!service.found || foreign.has(`Service ${service.name}`)) continue;
    const selector = service.found.spec?.selector;
    if (!sameLabels(selector, service.selector))
      problems.push(
        `Service ${service.name} selects ${show(selector)}, not ${show(service.selector)}: grayctl would send traffic through it to whatever it selects; change its selector or delete it (grayctl creates it)`,
      );
    else if (ownerApp(service.found.metadata?.labels) === undefined)
      adopted.push(`Service ${service.name} (created outside grayctl; its selector is ${show(selector)})`);
  }
  return { problems, adopted };
}

/** The grayctl app an object belongs to (its `app` label), or undefined when grayctl did not create it. */
function ownerApp(labels: Labels): string | undefined {
  if (labels?.[MANAGED_BY_KEY] !== MANAGED_BY[MANAGED_BY_KEY as keyof typeof MANAGED_BY]) return undefined;
  return labels.app ?? "";
}

function collision(app: string, owner: string): string {
  const [short, long] = app.length < owner.length ? [app, owner] : [owner, app];
  if (long !== `${short}-canary`) return "";
  return `: apps ${short} and ${long} cannot share a namespace (grayctl names ${short}'s canary objects ${long}); rename one of them or put it in another namespace`;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].every((key) => a?.[key] === b?.[key]);
}

function show(labels: Labels): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? "{}" : `{${entries.map(([k, v]) => `${k}=${v}`).join(",")}}`;
}
