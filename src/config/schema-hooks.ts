// hooks and notify in grayctl.yaml (issue 15), kept apart from schema.ts so
// that the gates (analysis) and these lifecycle fields can change side by side.
import { z } from "zod";
import { duration } from "./duration-field.ts";

const headers = z
  .record(z.string(), z.string())
  .optional()
  .describe("Request headers; values may come from the environment, e.g. Authorization: Bearer ${TOKEN}.");

/** One hook: a command (argv, no shell) or a web call, each with a deadline. */
const hook = z
  .strictObject({
    name: z.string().min(1).describe("Shown in output and in the reason of a failed preRollout."),
    command: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('argv, run without a shell: ["./scripts/smoke.sh", "--fast"]. Write ["sh", "-c", "…"] for a shell.'),
    url: z.url().optional().describe("A web call instead of a command: any 2xx answer passes."),
    method: z.enum(["GET", "POST", "PUT"]).default("POST"),
    headers,
    body: z
      .string()
      .optional()
      .describe(
        "Request body; {{app}}, {{namespace}}, {{image}}, {{revision}}, {{outcome}}, {{reason}} are filled in.",
      ),
    timeout: duration("1h").default("1m").describe("The hook's deadline: a command is killed, a request aborted."),
  })
  .superRefine((value, ctx) => {
    if ((value.command === undefined) === (value.url === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "needs exactly one of command or url" });
    }
  });

export const hooksSchema = z
  .strictObject({
    preRollout: z
      .array(hook)
      .default([])
      .describe("Run before a rollout writes anything for the app; one failing stops it (exit 3)."),
    postPromotion: z
      .array(hook)
      .default([])
      .describe("Run after a promotion (or first deploy); failures are reported, the outcome stands."),
    onRollback: z.array(hook).default([]).describe("Run after a rollback; failures are reported, the outcome stands."),
  })
  .prefault({});

export const NOTIFY_EVENTS = ["started", "paused", "promoted", "rolled-back", "failed"] as const;

const notification = z.strictObject({
  name: z.string().min(1).optional(),
  url: z.url().describe("The webhook, from the environment: url: ${SLACK_WEBHOOK_URL}. Never printed."),
  format: z.enum(["json", "slack"]).default("json").describe("json: grayctl's event; slack: an incoming-webhook text."),
  headers,
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .default([...NOTIFY_EVENTS]),
  timeout: duration("5m").default("10s").describe("Deadline for one notification, retries included."),
  retries: z.int().min(0).max(10).default(3),
});

export const notifySchema = z.array(notification).default([]);

export type HookConfig = z.output<typeof hook>;
export type NotifyConfig = z.output<typeof notification>;
