// GitHub Actions (GITHUB_ACTIONS=true): workflow commands in the log (groups
// around the build, ::warning/::error annotations for a failed gate, a
// rollback and every warning), the step summary (GITHUB_STEP_SUMMARY) and the
// step's outputs (GITHUB_OUTPUT). https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import { randomBytes } from "node:crypto";
import { isFailure } from "../output/outcomes.ts";
import type { Fields } from "../output/types.ts";
import { resultOutputs } from "./outputs.ts";
import { RunRecord } from "./run-record.ts";
import { commandSummary } from "./release-summary.ts";
import { BUILD_KINDS, type CiIntegration, type CiIo } from "./types.ts";

/** A workflow command's message (actions/toolkit's escapeData). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A workflow command's property value (actions/toolkit's escapeProperty). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

const annotation = (level: "warning" | "error", message: string, title?: string) =>
  `::${level}${title ? ` title=${escapeProperty(title)}` : ""}::${escapeData(message)}`;

/** GITHUB_OUTPUT's multi-line form, with a delimiter no value can contain. */
export function outputLines(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => {
      let delimiter: string;
      do delimiter = `ghadelimiter_${randomBytes(8).toString("hex")}`;
      while (value.includes(delimiter));
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join("");
}

export function githubIntegration(env: Record<string, string | undefined>, io: CiIo): CiIntegration | undefined {
  if (env.GITHUB_ACTIONS !== "true") return undefined;
  const record = new RunRecord();
  let openGroup: string | undefined;
  return {
    progressStarted(kind, text) {
      if (!BUILD_KINDS.has(kind)) return;
      if (openGroup) io.log("::endgroup::");
      openGroup = kind;
      io.log(`::group::${escapeData(text)}`);
    },
    progressEnded(kind) {
      if (openGroup !== kind) return;
      openGroup = undefined;
      io.log("::endgroup::");
    },
    event(type: string, fields: Fields) {
      record.event(type, fields, io.now());
      if (type === "gate" && fields.result === "failed") {
        const step = record.stepsOf(fields.target).at(-1);
        const target = typeof fields.target === "string" ? `${fields.target}: ` : "";
        const where = step ? ` at step ${step.step}/${step.of} (${step.weight}%)` : "";
        io.log(
          annotation(
            "error",
            String(fields.reason ?? fields.gate),
            `grayctl: ${target}gate ${fields.gate} failed${where}`,
          ),
        );
      }
    },
    warning(message) {
      io.log(annotation("warning", message));
    },
    result(outcome, fields, text) {
      if (openGroup) io.log("::endgroup::");
      openGroup = undefined;
      record.finish(outcome, fields, text, io.now());
      if (isFailure(outcome, fields)) io.log(annotation("error", text, `grayctl: ${outcome}`));
      if (env.GITHUB_STEP_SUMMARY) io.append(env.GITHUB_STEP_SUMMARY, commandSummary(record));
      if (env.GITHUB_OUTPUT) io.append(env.GITHUB_OUTPUT, outputLines({ ...resultOutputs(outcome, fields) }));
    },
  };
}
