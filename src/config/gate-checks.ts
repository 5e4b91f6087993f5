// analysis.checks: command and web gates (docs/gates.md). Kept apart from
// schema.ts's other sections; schema.ts only mounts it.
import { z } from "zod";
import { duration } from "./duration-field.ts";

const gateCheck = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a name such as smoke-test"),
    command: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Command gate: program and arguments, run without a shell (write ["sh", "-c", "…"] for one).'),
    url: z
      .string()
      .min(1)
      .optional()
      .describe("Web gate: the URL to ask, a template ({{app}}, {{track}}, {{start}}…)."),
    method: z.enum(["GET", "POST"]).optional().describe("Web gate: GET (default) or POST."),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe("Web gate: request headers; put credentials here as ${ENV_VAR}, never in the URL."),
    body: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .optional()
      .describe("Web gate: request body, a template; a mapping is sent as JSON."),
    value: z.string().optional().describe("Web gate: JSONPath to the one number in the answer."),
    min: z.number().optional(),
    max: z.number().optional(),
    compare: z.boolean().optional().describe("Web gate: ask for both tracks and bound canary − stable with min/max."),
    timeout: duration("1h")
      .optional()
      .describe("How long one run of the command (default 1m) or one request (default 10s) may take."),
  })
  .superRefine((check, ctx) => {
    const web = ["method", "headers", "body", "value", "min", "max", "compare"] as const;
    if (check.command && check.url) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "a check has either command or url, not both" });
      return;
    }
    if (!check.command && !check.url) {
      ctx.addIssue({ code: "custom", path: [], message: "needs command (a command gate) or url (a web gate)" });
      return;
    }
    if (check.command) {
      for (const key of web)
        if (check[key] !== undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "applies to web gates (url), not to a command" });
      return;
    }
    if (!check.value)
      ctx.addIssue({
        code: "custom",
        path: ["value"],
        message: "is required: the JSONPath to the number, e.g. $.data.value",
      });
    if (check.min === undefined && check.max === undefined)
      ctx.addIssue({ code: "custom", path: [], message: "needs min or max" });
    if (check.url && !/^https?:\/\//.test(check.url))
      ctx.addIssue({ code: "custom", path: ["url"], message: "must start with http:// or https://" });
  });

export const gateChecks = z
  .array(gateCheck)
  .default([])
  .describe("Command and web gates judged at every step's end, next to healthz and metrics (docs/gates.md).")
  .superRefine((checks, ctx) => {
    const seen = new Set<string>();
    checks.forEach((check, index) => {
      if (seen.has(check.name))
        ctx.addIssue({ code: "custom", path: [index, "name"], message: `another check is named "${check.name}"` });
      seen.add(check.name);
    });
  });

export type GateCheckConfig = z.output<typeof gateChecks>[number];

/** A gate's name keys its inconclusive count and its records: one name, one gate. */
export function gateNamesDistinct(
  analysis: { checks: { name: string }[]; metrics?: { checks: { name: string }[] } },
  ctx: z.RefinementCtx,
): void {
  const taken = new Set(["health", ...(analysis.metrics?.checks ?? []).map((check) => check.name)]);
  analysis.checks.forEach((check, index) => {
    if (taken.has(check.name))
      ctx.addIssue({
        code: "custom",
        path: ["checks", index, "name"],
        message: `"${check.name}" is already a gate's name (health or a metrics check)`,
      });
  });
}
