// The four values a later step or job reads from a command's result: how it
// ended, the image (by digest where known), the digest, the release revision.
import type { Fields } from "../output/types.ts";

export interface ResultOutputs {
  outcome: string;
  image: string;
  digest: string;
  revision: string;
}

export function resultOutputs(outcome: string, fields: Fields): ResultOutputs {
  const image = typeof fields.image === "string" ? fields.image : "";
  const digest = typeof fields.digest === "string" ? fields.digest : (/@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? "");
  const revision = typeof fields.revision === "number" || typeof fields.revision === "string" ? fields.revision : "";
  return { outcome, image, digest, revision: String(revision) };
}
