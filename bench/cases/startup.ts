// startup: `grayctl --version` and `grayctl --help` against `node -e 0`, with
// the same Node: what the launcher and the bundle add to starting a process.
// The single binary's --version beside the bundle's and `kubectl version --client`.
import { BINARY, GRAYCTL, KUBECTL } from "../lib/cluster.ts";
import { type CaseResult, interleaved, ratio, side, timed } from "../lib/measure.ts";

export async function startup(runs: number): Promise<CaseResult[]> {
  const { GRAYCTL_UNBUNDLED: _, ...env } = process.env;
  const node = (args: string[]) => () => timed(process.execPath, args, { env });
  const [version, help, bare, single, kubectl] = await interleaved(runs, [
    node([GRAYCTL, "--version"]),
    node([GRAYCTL, "--help"]),
    node(["-e", "0"]),
    () => timed(BINARY, ["--version"], { env }),
    () => timed(KUBECTL, ["version", "--client"], { env }),
  ]);
  const baseline = side("node -e 0", bare);
  const binary = side("grayctl-linux-x64 --version", single);
  return [
    { case: "startup", subject: side("grayctl --version", version), baseline },
    { case: "startup", subject: side("grayctl --help", help), baseline },
    // The binary beside the bundle it replaces, and beside kubectl (a Go binary) starting.
    { case: "startup", subject: binary, baseline: side("grayctl --version", version) },
    { case: "startup", subject: binary, baseline: side("kubectl version --client", kubectl) },
  ].map((result) => ({ ...result, ratio: ratio(result.subject, result.baseline), ratioOf: "wall time" }));
}
