// GitLab CI (GITLAB_CI=true): collapsed sections around the build in the job
// log, a dotenv report for later jobs (artifacts:reports:dotenv) and the
// Markdown summary as a file to keep as an artifact.
// https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
import type { Fields } from "../output/types.ts";
import { resultOutputs } from "./outputs.ts";
import { reportPaths } from "./report-paths.ts";
import { RunRecord } from "./run-record.ts";
import { commandSummary } from "./release-summary.ts";
import { BUILD_KINDS, type CiIntegration, type CiIo } from "./types.ts";

const ESC = "\u001b";

/** GitLab's dotenv: KEY=VALUE lines, one line per value. */
export function dotenvLines(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${value.replace(/[\r\n]+/g, " ")}\n`)
    .join("");
}

export function gitlabIntegration(
  env: Record<string, string | undefined>,
  cwd: string,
  io: CiIo,
): CiIntegration | undefined {
  if (env.GITLAB_CI !== "true") return undefined;
  const record = new RunRecord();
  let open: { kind: string; name: string } | undefined;
  let sections = 0;
  const stamp = () => Math.floor(io.now().getTime() / 1000);
  const close = () => {
    if (!open) return;
    io.log(`${ESC}[0Ksection_end:${stamp()}:${open.name}\r${ESC}[0K`);
    open = undefined;
  };
  return {
    progressStarted(kind, text) {
      if (!BUILD_KINDS.has(kind)) return;
      close();
      sections += 1;
      open = { kind, name: `grayctl_${kind}_${sections}` };
      io.log(
        `${ESC}[0Ksection_start:${stamp()}:${open.name}[collapsed=true]\r${ESC}[0K${text.replace(/[\r\n]+/g, " ")}`,
      );
    },
    progressEnded(kind) {
      if (open?.kind === kind) close();
    },
    event(type: string, fields: Fields) {
      record.event(type, fields, io.now());
    },
    warning() {},
    result(outcome, fields, text) {
      close();
      record.finish(outcome, fields, text, io.now());
      const outputs = resultOutputs(outcome, fields);
      const paths = reportPaths(env, cwd);
      io.write(
        paths.dotenv,
        dotenvLines({
          GRAYCTL_OUTCOME: outputs.outcome,
          GRAYCTL_IMAGE: outputs.image,
          GRAYCTL_DIGEST: outputs.digest,
          GRAYCTL_REVISION: outputs.revision,
        }),
      );
      io.write(paths.summary, commandSummary(record));
    },
  };
}
