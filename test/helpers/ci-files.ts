// Reading what the CLI wrote for a CI runner: GITHUB_OUTPUT's `name<<DELIMITER`
// blocks and GitLab's dotenv lines, as the runners themselves parse them.
import { readFileSync } from "node:fs";

/** GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks; later values win. */
export function githubOutputs(path: string): Record<string, string> {
  const lines = readFileSync(path, "utf8").split("\n");
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const block = /^([\w-]+)<<(.+)$/.exec(lines[i]);
    if (block) {
      const end = lines.indexOf(block[2], i + 1);
      if (end === -1) throw new Error(`GITHUB_OUTPUT: no closing ${block[2]} for ${block[1]}`);
      values[block[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
      continue;
    }
    const single = /^([\w-]+)=(.*)$/.exec(lines[i]);
    if (single) values[single[1]] = single[2];
    else if (lines[i] !== "") throw new Error(`GITHUB_OUTPUT: a line the runner would reject: ${lines[i]}`);
  }
  return values;
}

/** A dotenv report as GitLab reads it: KEY=VALUE, one per line. */
export function dotenv(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`dotenv: a line GitLab would reject: ${line}`);
    values[match[1]] = match[2];
  }
  return values;
}
