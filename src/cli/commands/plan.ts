// `grayctl plan [--image REF]` and `grayctl rollout --dry-run`: what a rollout
// would do now, writing nothing: no build, no push, no Lease, no object. The
// cluster is read through a transport that sends GET only (kube/dry-run-http.ts),
// so a Role with get/list/watch is enough (templates/rbac-readonly.yaml).
import { ExitCode } from "../../errors.ts";
import type { Config } from "../../config/schema.ts";
import type { DryRunHttp } from "../../kube/dry-run-http.ts";
import type { PlannedImage } from "../../operate/plan-render.ts";
import type { CommandContext } from "../context.ts";
import { headImageSettings } from "../shared/image-settings.ts";

export interface PlanOptions {
  image?: string;
  supersede?: boolean;
}

export async function planCommand(ctx: CommandContext, options: PlanOptions): Promise<number> {
  const { config, targets } = await ctx.loadConfig();
  const image = await plannedImage(ctx, config, options.image);
  if (targets) {
    // issue 22: the waves and their targets, from the configuration (each target's own plan: `plan` with its context).
    const { plannedWaves, renderWaves } = await import("../../waves/plan-render.ts");
    const waves = plannedWaves(config, targets);
    const text = `image: ${image.image} (${image.note})\n${renderWaves(config, waves, image.image)}`;
    const recordIn = config.recordIn ?? waves[0]?.targets[0]?.name;
    ctx.reporter.result(
      "planned",
      { app: config.app, image: image.image, digest: image.digest, waves, recordIn },
      text,
    );
    return ExitCode.ok;
  }
  const [{ DryRunHttp }, { sessionFor }, { planRollout }, { plannedGates }, { renderPlan }] = await Promise.all([
    import("../../kube/dry-run-http.ts"),
    import("../shared/operate-session.ts"),
    import("../../operate/plan.ts"),
    import("../../operate/plan-gates.ts"),
    import("../../operate/plan-render.ts"),
  ]);
  let dry: DryRunHttp | undefined;
  const { ctx: session } = sessionFor(ctx, config, undefined, (http) => {
    dry = new DryRunHttp(http);
    return dry.library();
  });
  // Nothing is written, so there is nothing to fence: the plan never takes the Lease.
  session.cluster.fence = undefined;
  // Nor to wait for: the waits between writes (rollout.scaleDownDelay) pass at once.
  session.clock = { ...session.clock, sleep: async () => {} };
  const plan = await planRollout(session, dry!, image.image, { supersede: options.supersede });
  const gates = plannedGates(config, image.image, ctx.now());
  const { hooks, notify } = config;
  const extras = [
    `hooks: preRollout ${hooks.preRollout.length}, postPromotion ${hooks.postPromotion.length}, onRollback ${hooks.onRollback.length} (not run by plan); notify: ${notify.length} webhook(s) (nothing sent)`,
  ];
  const text = renderPlan(
    { app: config.app, namespace: config.namespace, router: config.traffic.router },
    image,
    plan,
    gates,
    extras,
  );
  ctx.reporter.result(
    "planned",
    { app: config.app, namespace: config.namespace, image: image.image, digest: image.digest, ...plan, gates },
    text,
  );
  return ExitCode.ok;
}

async function plannedImage(ctx: CommandContext, config: Config, given?: string): Promise<PlannedImage> {
  if (given) {
    const { resolveImageDigest, DIGEST_REF } = await import("../../build/resolve-digest.ts");
    const image = await resolveImageDigest(given, { env: ctx.env, reporter: ctx.reporter, signal: ctx.signal });
    const digest = DIGEST_REF.exec(image)?.groups?.digest;
    return {
      image,
      digest,
      note: image === given ? "given by digest" : `${given} resolved in the registry (read only)`,
    };
  }
  const { locateImage } = await import("../../build/index.ts");
  const located = await locateImage(headImageSettings(config, ctx.cwd), {
    cwd: ctx.cwd,
    env: ctx.env,
    reporter: ctx.reporter,
    signal: ctx.signal,
  });
  const repository = located.ref.repository;
  if (located.existing.exists) {
    const digest = located.existing.digest;
    return {
      image: `${repository}:${located.tag}@${digest}`,
      digest,
      note: `${repository}:${located.tag} is in the registry: \`grayctl rollout\` reuses it (no build)`,
    };
  }
  const why = located.revision.dirty
    ? "the work tree has uncommitted changes: `grayctl rollout` builds and pushes it (a -dirty tag is never reused)"
    : "not in the registry yet: `grayctl rollout` builds and pushes it first";
  return {
    image: `${repository}:${located.tag}`,
    note: `${why}; its digest is known only after the push, so the objects below name the tag`,
  };
}
