// issue 22: one release across several clusters. `targets` names where the app
// runs (a kubeconfig context or file each, with per-target overrides written as
// `--set` paths); `waves` orders them. The cross-field rules (known names, each
// target in one wave, no empty wave) are checked in targetsRefinement, so each
// problem names its field as the rest of the schema does (decision 033).
import { z } from "zod";
import { duration } from "./duration-field.ts";
import { FORBIDDEN_KEYS, parseSetPath } from "./set-path.ts";

// Target names prefix output lines and name the target in messages: a short label.
const targetName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a label: lower-case letters, digits and '-', e.g. eu-west")
  .max(63, "must be at most 63 characters");

// Per-target overrides may change how the app runs there, not which release or
// which targets: those are the release's own.
const NOT_PER_TARGET = new Set(["app", "image", "targets", "waves", "onWaveFailure", "recordIn", "$schema"]);

/** What is wrong with a key of a target's `set:`, or undefined. */
function setPathProblem(text: string): string | undefined {
  const path = parseSetPath(text);
  if (!path) return `${JSON.stringify(text)} is not a path such as deployment.replicas`;
  const forbidden = path.find((key) => typeof key === "string" && FORBIDDEN_KEYS.has(key));
  if (forbidden !== undefined) return `"${String(forbidden)}" is not a configuration field`;
  if (NOT_PER_TARGET.has(String(path[0]))) return `${path[0]} is the release's, the same for every target`;
  return undefined;
}

const target = z
  .strictObject({
    name: targetName.describe("The target's name: prefixes its output lines, and waves refer to it."),
    context: z.string().min(1).optional().describe("The kubeconfig context of this target's cluster."),
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .describe("A kubeconfig file for this target (default: --kubeconfig, $KUBECONFIG or ~/.kube/config)."),
    namespace: z.string().optional().describe("The app's namespace in this target (default: the top-level one)."),
    set: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "Overrides for this target, as --set applies them: path to value, e.g. { deployment.replicas: 6, traffic.host: eu.shop.example }.",
      ),
  })
  .superRefine((value, ctx) => {
    if (value.context === undefined && value.kubeconfig === undefined)
      ctx.addIssue({ code: "custom", path: ["context"], message: "is required (or kubeconfig): where this target is" });
    for (const key of Object.keys(value.set)) {
      const problem = setPathProblem(key);
      if (problem) ctx.addIssue({ code: "custom", path: ["set", key], message: problem });
    }
  });

const wave = z.strictObject({
  targets: z.array(z.string()).describe("Names of the targets released together in this wave."),
  bake: duration("24h")
    .default("0s")
    .describe("After every target of the wave promoted: how long their health is watched before the next wave."),
  maxParallel: z
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe("How many of the wave's targets roll out at once (default: all)."),
});

export const targetsSchema = z
  .array(target)
  .optional()
  .describe("Clusters one release goes to, in waves (issue 22). Without it, grayctl releases to one cluster.");
export const wavesSchema = z.array(wave).optional().describe("The order of the targets: one wave after another.");
export const onWaveFailureSchema = z
  .enum(["rollback", "halt"])
  .default("rollback")
  .describe(
    "When a wave fails: roll every target this release already promoted back to its previous release (rollback), or leave earlier waves as they are (halt).",
  );

export const recordInSchema = z
  .string()
  .optional()
  .describe(
    "The target whose cluster and namespace keep the release record (which wave each target reached): default the first target of the first wave.",
  );

export type TargetConfig = z.output<typeof target>;
export type WaveConfig = z.output<typeof wave>;

/** The rules across targets and waves; run on the whole configuration. */
export function targetsRefinement(
  value: { targets?: TargetConfig[]; waves?: WaveConfig[]; recordIn?: string },
  ctx: z.RefinementCtx,
): void {
  const { targets, waves } = value;
  if (value.recordIn !== undefined && targets === undefined)
    ctx.addIssue({ code: "custom", path: ["recordIn"], message: "names a target: it needs targets" });
  if (targets === undefined && waves === undefined) return;
  if (targets === undefined) {
    ctx.addIssue({ code: "custom", path: ["targets"], message: "is required when waves is set" });
    return;
  }
  if (targets.length === 0)
    ctx.addIssue({ code: "custom", path: ["targets"], message: "must name at least one target" });
  const names = new Set<string>();
  targets.forEach((entry, index) => {
    if (names.has(entry.name))
      ctx.addIssue({ code: "custom", path: ["targets", index, "name"], message: `"${entry.name}" is named twice` });
    names.add(entry.name);
  });
  if (value.recordIn !== undefined && !names.has(value.recordIn))
    ctx.addIssue({
      code: "custom",
      path: ["recordIn"],
      message: `"${value.recordIn}" is not a target (targets: ${[...names].join(", ")})`,
    });
  if (waves === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["waves"],
      message: "is required when targets is set: the order of the targets",
    });
    return;
  }
  const placed = new Map<string, number>();
  waves.forEach((entry, waveIndex) => {
    if (entry.targets.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["waves", waveIndex, "targets"],
        message: "is empty: a wave names at least one target",
      });
    entry.targets.forEach((name, index) => {
      const path = ["waves", waveIndex, "targets", index];
      if (!names.has(name))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${name}" is not a target (targets: ${[...names].join(", ")})`,
        });
      else if (placed.has(name))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${name}" is already in waves[${placed.get(name)}]: a target is in one wave`,
        });
      else placed.set(name, waveIndex);
    });
  });
  for (const name of names)
    if (!placed.has(name))
      ctx.addIssue({
        code: "custom",
        path: ["waves"],
        message: `target "${name}" is in no wave: add it to one, or remove it from targets`,
      });
}
