// deployment.manifest: the team's own Deployment YAML as the template for stable.
import { readFile } from "node:fs/promises";
import type { V1Deployment } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { Config } from "../config/schema.ts";
import { UsageError } from "../errors.ts";

export async function loadManifest(path: string, config: Config): Promise<V1Deployment> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`deployment.manifest: cannot read ${path}: ${(error as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length)
      throw new UsageError(`deployment.manifest: ${path}: ${doc.errors[0].message.split("\n")[0]}`);
    const value = doc.toJS() as V1Deployment | null;
    if (value?.kind === "Deployment") {
      if (!value.spec?.template?.spec?.containers?.length) {
        throw new UsageError(`deployment.manifest: the Deployment in ${path} has no containers`);
      }
      return value;
    }
  }
  throw new UsageError(`deployment.manifest: ${path} holds no Deployment (app ${config.app})`);
}
