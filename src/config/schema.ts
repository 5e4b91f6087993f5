// The grayctl.yaml contract. Field names under app/namespace/image/deployment/
// traffic/rollout/analysis follow DESIGN.md; everything else is ours. The JSON
// Schema in schema/grayctl.schema.json is generated from this file and a test
// keeps the two equal.
import { z } from "zod";
import { duration } from "./duration-field.ts";
import { gateChecks, gateNamesDistinct } from "./gate-checks.ts";
import { repositoryProblem } from "./image-reference.ts";
import { hooksSchema, notifySchema } from "./schema-hooks.ts";
import {
  onWaveFailureSchema,
  recordInSchema,
  targetsRefinement,
  targetsSchema,
  wavesSchema,
} from "./schema-targets.ts";

// The app's name becomes Service names (<app>, <app>-stable, <app>-canary), and a
// Service name is a DNS-1035 label: it starts with a letter.
export const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const appName = z
  .string()
  .regex(
    APP_NAME,
    "must be a DNS label (DNS-1035: it names Services): lower-case letters, digits and '-', starting with a letter, e.g. checkout",
  )
  .max(53, "must be at most 53 characters (room for the -canary suffix)");

// A namespace name is a DNS-1123 label (RFC 1123: may start with a digit).
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const namespaceName = z
  .string()
  .regex(NAMESPACE_NAME, "must be a namespace name (a DNS-1123 label): lower-case letters, digits and '-', e.g. shop")
  .max(63, "must be at most 63 characters");

const weight = z.int().min(1).max(100);

const step = z.union([
  weight,
  z.strictObject({
    weight,
    pause: z
      .union([z.literal("manual"), duration("24h")])
      .optional()
      .describe('Extra wait after the step passes, or "manual" to stop until `grayctl promote`.'),
  }),
]);

const image = z.strictObject({
  repository: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const problem = repositoryProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} ${problem}`, input: value });
    })
    .describe("Image repository, e.g. registry.example.com/shop/checkout."),
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

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name");

// Header pinning is closed by default (DESIGN.md invariant 10, decision 034): only
// requests carrying the configured header with a secret value taken from the
// environment reach the canary, never a well-known "always".
const pin = z
  .strictObject({
    header: headerName.default("x-canary"),
    valueFrom: z.strictObject({
      env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name, e.g. GRAYCTL_PIN_VALUE")
        .describe("The environment variable holding the secret value (at least 16 characters)."),
    }),
  })
  .describe(
    "Pin requests to the canary: those with <header>: <the secret value> reach it whatever the weight. Off when absent.",
  );

const traffic = z
  .strictObject({
    router: z.enum(["nginx", "istio", "gateway-api", "replicas"]).default("replicas"),
    header: z
      .unknown()
      .optional()
      .describe("Removed: pinning by a well-known value is open to anyone; configure traffic.pin."),
    pin: pin.optional(),
    host: z
      .string()
      .optional()
      .describe("Host name routed to the app (Ingress rule, VirtualService host, HTTPRoute hostname)."),
    path: z.string().default("/"),
    ingressClassName: z.string().optional(),
    gateway: z.string().optional().describe("Gateway (gateway-api) or Istio gateway the route attaches to."),
  })
  .superRefine((value, ctx) => {
    if (value.header !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["header"],
        message:
          'is gone: "always" let anyone reach the canary. Pinning is off unless configured: write traffic.pin: { header: x-canary, valueFrom: { env: GRAYCTL_PIN_VALUE } } with a secret value in that variable',
      });
  });

const rollout = z
  .strictObject({
    steps: z.array(step).min(1).default([5, 10, 25, 50, 100]),
    interval: duration("1h").default("1m"),
    progressDeadline: duration("24h").default("10m"),
    readyTimeout: duration("1h")
      .default("2m")
      .describe("How long a step waits for its canary pods to become ready before it fails."),
    onInterrupt: z.enum(["rollback", "leave"]).default("rollback"),
    onOrphan: z
      .enum(["rollback", "resume", "hold"])
      .default("rollback")
      .describe(
        "What `grayctl guard` does with this rollout when its process is gone (its Lease expired): roll it back, resume it from the recorded step, or only report it.",
      ),
    leaseDuration: duration("10m", "1s").default("30s"),
    scaleDownDelay: duration("1h")
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
  slowerThan: z
    .number()
    .positive()
    .optional()
    .describe(
      "latency-p99 only, seconds: compare the canary's share of requests slower than this (rounded up to a histogram bucket) with stable's; default: stable's p99 bucket.",
    ),
  alpha: z
    .number()
    .gt(0)
    .max(0.1)
    .optional()
    .describe(
      "error-rate and latency-p99 only: the gate's false-rollback probability over a whole rollout, however often it looks (default 0.01).",
    ),
});

// Label names go into PromQL unquoted: only what Prometheus accepts as a label name.
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name: letters, digits and '_', e.g. status_code");

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
        timeout: duration("5m").default("5s"),
        labels: z
          .strictObject({
            namespace: labelName.optional(),
            app: labelName.optional(),
            track: labelName.optional(),
          })
          .optional()
          .describe(
            "Label names that select a track's series in the built-in queries (defaults: namespace, app, track). The status label is analysis.metrics.statusLabel.",
          ),
      })
      .optional(),
    statusLabel: labelName
      .optional()
      .describe(
        "The request counter's label holding the HTTP status (both providers). Unset: the first of code, status, status_code, http_status, http_response_status_code that a series carries.",
      ),
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
      if (entry.alpha !== undefined && !builtin) {
        ctx.addIssue({
          code: "custom",
          path: ["checks", index, "alpha"],
          message: `only error-rate and latency-p99 take alpha, not "${entry.name}"`,
        });
      }
      if (entry.slowerThan !== undefined && entry.name !== "latency-p99") {
        ctx.addIssue({
          code: "custom",
          path: ["checks", index, "slowerThan"],
          message: `only latency-p99 takes slowerThan, not "${entry.name}"`,
        });
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
        timeout: duration("1m").default("2s"),
        concurrency: z.int().min(1).max(64).default(8),
      })
      .prefault({}),
    inconclusiveLimit: z.int().min(1).max(100).default(3),
    // issue 21: the metric gates look this often during a step's window (docs/analysis.md)
    evaluateEvery: duration("1h", "1s")
      .default("10s")
      .describe("How often metric gates look during a step; a conclusive failure at any look rolls back at once."),
    metrics: metrics.optional(),
    checks: gateChecks,
  })
  .superRefine(gateNamesDistinct);

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    app: appName.describe("The app's name: Deployments <app> and <app>-canary."),
    namespace: namespaceName.default("default"),
    image: image.optional(),
    deployment: deployment.prefault({}),
    traffic: traffic.prefault({}),
    rollout: rollout.prefault({}),
    analysis: analysis.prefault({}),
    // issue 15: lifecycle hooks and notifications (schema-hooks.ts)
    hooks: hooksSchema,
    notify: notifySchema,
    // issue 22: one release across several clusters, in waves (schema-targets.ts)
    targets: targetsSchema,
    waves: wavesSchema,
    onWaveFailure: onWaveFailureSchema,
    recordIn: recordInSchema,
  })
  .superRefine(targetsRefinement)
  .describe("grayctl configuration (grayctl.yaml)");

type ParsedConfig = z.output<typeof configSchema>;
/** traffic.pin with its secret value, read from the environment by loadConfig (absent when the variable is unset). */
export type PinConfig = NonNullable<ParsedConfig["traffic"]["pin"]> & { value?: string };
export type Config = Omit<ParsedConfig, "traffic"> & {
  traffic: Omit<ParsedConfig["traffic"], "pin"> & { pin?: PinConfig };
};
export type ConfigInput = z.input<typeof configSchema>;
