// startup: `grayctl --version` and `grayctl --help` against `node -e 0`, with
// the same Node: what the launcher and the bundle add to starting a process.
import { GRAYCTL } from "../lib/cluster.ts";
import { type CaseResult, interleaved, ratio, side, timed } from "../lib/measure.ts";

export async function startup(runs: number): Promise<CaseResult[]> {
  const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
  const node = (args: string[]) => () => timed(process.execPath, args, { env });
  const [version, help, bare] = await interleaved(runs, [
    node([GRAYCTL, "--version"]),
    node([GRAYCTL, "--help"]),
    node(["-e", "0"]),
  ]);
  const baseline = side("node -e 0", bare);
  return [
    { case: "startup", subject: side("grayctl --version", version), baseline },
    { case: "startup", subject: side("grayctl --help", help), baseline },
  ].map((result) => ({ ...result, ratio: ratio(result.subject, baseline), ratioOf: "wall time" }));
}
