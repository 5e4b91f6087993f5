// The grayctl.yaml contract. Field names under app/namespace/image/deployment/
// traffic/rollout/analysis follow DESIGN.md; everything else is ours. The JSON
// Schema in schema/grayctl.schema.json is generated from this file and a test
// keeps the two equal.
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { gateChecks, gateNamesDistinct } from "./gate-checks.ts";
import { hooksSchema, notifySchema } from "./schema-hooks.ts";

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and '-', e.g. checkout")
  .max(53, "must be at most 53 characters (room for the -canary suffix)");

const duration = z
  .union([z.string(), z.number()])
  .refine((value) => parseDuration(value) !== undefined, 'must be a duration such as "30s", "1m" or "1h30m"')
  .describe('A duration: "500ms", "30s", "1m", "1h30m", or a number of seconds.');

const weight = z.int().min(1).max(100);

const step = z.union([
  weight,
  z.strictObject({
    weight,
    pause: z
      .union([z.literal("manual"), duration])
      .optional()
      .describe('Extra wait after the step passes, or "manual" to stop until `grayctl promote`.'),
  }),
]);

const image = z.strictObject({
  repository: z.string().min(1).describe("Image repository, e.g. registry.example.com/shop/checkout."),
  context: z.string().default("."),
  dockerfile: z.string().default("Dockerfile"),
  tag: z.enum(["commit", "abbrev-commit", "tree"]).default("commit"),
  dirty: z.enum(["refuse", "suffix"]).default("refuse"),
  buildArgs: z.record(z.string(), z.string()).default({}),
  target: z.string().optional(),
  platform: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

const deployment = z.strictObject({
  manifest: z.string().optional().describe("The team's own Deployment manifest, used as the template."),
  replicas: z
    .int()
    .min(1)
    .max(1000)
    .default(2)
    .describe("Replicas of the first deploy; later rollouts size the tracks from stable's actual replicas."),
  canaryAutoscaler: z
    .boolean()
    .default(false)
    .describe(
      "When stable has a HorizontalPodAutoscaler: give the canary one too (<app>-canary), copied from stable's, removed on promotion and rollback.",
    ),
  port: z.int().min(1).max(65535).default(8080),
});

const traffic = z.strictObject({
  router: z.enum(["nginx", "istio", "gateway-api", "replicas"]).default("replicas"),
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name")
    .default("x-canary"),
  host: z
    .string()
    .optional()
    .describe("Host name routed to the app (Ingress rule, VirtualService host, HTTPRoute hostname)."),
  path: z.string().default("/"),
  ingressClassName: z.string().optional(),
  gateway: z.string().optional().describe("Gateway (gateway-api) or Istio gateway the route attaches to."),
});

const rollout = z
  .strictObject({
    steps: z.array(step).min(1).default([5, 10, 25, 50, 100]),
    interval: duration.default("1m"),
    progressDeadline: duration.default("10m"),
    readyTimeout: duration
      .default("2m")
      .describe("How long a step waits for its canary pods to become ready before it fails."),
    onInterrupt: z.enum(["rollback", "leave"]).default("rollback"),
    leaseDuration: duration.default("30s"),
    scaleDownDelay: duration
      .default("30s")
      .describe(
        "After a router write that takes traffic from a track, how long to wait before scaling that track down: ingress controllers and meshes apply weights a moment after the write. Not used by the replicas router.",
      ),
  })
  .superRefine((value, ctx) => {
    let previous = 0;
    value.steps.forEach((entry, index) => {
      const current = typeof entry === "number" ? entry : entry.weight;
      if (current <= previous) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", index],
          message: `${current} is not above the previous step (${previous}); steps must increase`,
        });
      }
      previous = current;
    });
  });

const check = z.strictObject({
  name: z.string().min(1),
  query: z.string().optional().describe("PromQL template; required for checks other than error-rate and latency-p99."),
  min: z.number().optional(),
  max: z.number().optional(),
});

const metrics = z
  .strictObject({
    provider: z.enum(["prometheus", "pods"]).default("prometheus"),
    prometheus: z
      .strictObject({
        url: z.url(),
        bearerToken: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        headers: z.record(z.string(), z.string()).optional(),
        timeout: duration.default("5s"),
      })
      .optional(),
    minRequests: z.int().min(1).default(50),
    checks: z.array(check).default([{ name: "error-rate", max: 0.01 }]),
  })
  .superRefine((value, ctx) => {
    if (value.provider === "prometheus" && !value.prometheus) {
      ctx.addIssue({
        code: "custom",
        path: ["prometheus"],
        message: "is required when provider is prometheus (or use provider: pods)",
      });
    }
    value.checks.forEach((entry, index) => {
      const builtin = entry.name === "error-rate" || entry.name === "latency-p99";
      if (!builtin && !entry.query) {
        ctx.addIssue({
          code: "custom",
          path: ["checks", index, "query"],
          message: `check "${entry.name}" needs a query (built-ins: error-rate, latency-p99)`,
        });
      }
      if (entry.min === undefined && entry.max === undefined) {
        ctx.addIssue({ code: "custom", path: ["checks", index], message: "needs min or max" });
      }
      if (builtin && entry.query && value.provider === "pods") {
        ctx.addIssue({
          code: "custom",
          path: ["checks", index, "query"],
          message: "the pods provider has no PromQL; remove the query",
        });
      }
    });
    if (value.provider === "pods") {
      value.checks.forEach((entry, index) => {
        if (entry.name !== "error-rate" && entry.name !== "latency-p99") {
          ctx.addIssue({
            code: "custom",
            path: ["checks", index, "name"],
            message: `the pods provider supports error-rate and latency-p99, not "${entry.name}"`,
          });
        }
      });
    }
  });

const analysis = z
  .strictObject({
    healthz: z
      .strictObject({
        path: z.string().startsWith("/").default("/healthz"),
        timeout: duration.default("2s"),
        concurrency: z.int().min(1).max(64).default(8),
      })
      .prefault({}),
    inconclusiveLimit: z.int().min(1).max(100).default(3),
    metrics: metrics.optional(),
    checks: gateChecks,
  })
  .superRefine(gateNamesDistinct);

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    app: dnsLabel.describe("The app's name: Deployments <app> and <app>-canary."),
    namespace: dnsLabel.default("default"),
    image: image.optional(),
    deployment: deployment.prefault({}),
    traffic: traffic.prefault({}),
    rollout: rollout.prefault({}),
    analysis: analysis.prefault({}),
    // issue 15: lifecycle hooks and notifications (schema-hooks.ts)
    hooks: hooksSchema,
    notify: notifySchema,
  })
  .describe("grayctl configuration (grayctl.yaml)");

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
