// The kubeconfig secret becomes a file the CLI reads: created new with mode
// 0600 inside a fresh private directory (mkdtemp: 0700), written by the fs
// API from the environment variable the runner set, so no shell ever sees it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** GitHub's escaping for a workflow command's data (actions/toolkit's escapeData). */
export function escapeData(value) {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

// Masks shorter than this would star out ordinary words all over the log.
const MIN_MASK_LENGTH = 8;

/**
 * `::add-mask::` commands for the whole content and for each line's value
 * (`token: …`, `client-key-data: …`): the runner masks a multi-line secret as
 * a whole, and a credential is usually printed alone, not with its line.
 */
export function maskCommands(content) {
  const values = new Set([content.trim()]);
  for (const line of content.split(/\r?\n/)) {
    const value = line
      .replace(/^\s*-?\s*[\w.-]+:\s*/, "")
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
    if (value.length >= MIN_MASK_LENGTH) values.add(value);
  }
  return [...values].filter((value) => value.length > 0).map((value) => `::add-mask::${escapeData(value)}\n`);
}

/** Writes content to a new private file; returns its path and a cleanup. */
export function writeKubeconfig(content, parent = tmpdir()) {
  const dir = mkdtempSync(join(parent, "grayctl-kube-"));
  const path = join(dir, "kubeconfig");
  // flag "wx": never follow or reuse a file someone placed there first.
  writeFileSync(path, content, { mode: 0o600, flag: "wx" });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
