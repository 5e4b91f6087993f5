// What the demo app does, decided by its image reference and its environment.
// The tag carries faults as suffixes (`v3-err20-slow800`) so that a test can
// deploy "a bad version" just by naming it; env vars override the tag so that a
// pod spec can tune one pod without a new image. `label.status` makes it count
// requests by a `status` label as podinfo does, instead of `code`.
import { createHash } from "node:crypto";

/** A demo-app image by digest, as grayctl deploys it: sandbox.local/demo-app:TAG@sha256:… (the digest is made up from the tag). */
export function demoImageRef(tag: string): string {
  return `sandbox.local/demo-app:${tag}@sha256:${createHash("sha256").update(tag).digest("hex")}`;
}

export interface DemoAppConfig {
  version: string;
  /** Share of `GET /` answered 500, 0..1. */
  errorRate: number;
  /** Added to every `GET /`. */
  latencyMs: number;
  /** `/healthz` answers 500. */
  unhealthy: boolean;
  /** Exit non-zero after this many seconds; undefined = never. */
  crashAfterS?: number;
  /** The label of http_requests_total holding the status code; undefined = `code`. */
  statusLabel?: string;
  /** Errors and latency start this many seconds after the app started (a release that goes bad later); undefined = at once. */
  faultsAfterS?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Tag of an image reference, or the digest prefix when it is pinned by digest only. */
export function versionOfImage(image: string): string {
  const [withoutDigest, digest] = image.split("@");
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon >= 0) return lastSegment.slice(colon + 1);
  if (digest) return digest.replace(/^sha256:/, "").slice(0, 12);
  return "latest";
}

/** Reads fault suffixes from a tag: `v4-err5-slow100` → version v4, 5 % errors, +100 ms; `-after6`: from 6 s after start. */
export function configFromTag(tag: string): DemoAppConfig {
  const config: DemoAppConfig = { version: tag, errorRate: 0, latencyMs: 0, unhealthy: false };
  for (const part of tag.split("-").slice(1)) {
    const err = /^err(\d+(?:\.\d+)?)$/.exec(part);
    const slow = /^slow(\d+)$/.exec(part);
    const crash = /^crash(\d+(?:\.\d+)?)$/.exec(part);
    const label = /^label\.(.+)$/.exec(part);
    const after = /^after(\d+(?:\.\d+)?)$/.exec(part);
    if (err) config.errorRate = Math.min(1, Number(err[1]) / 100);
    else if (slow) config.latencyMs = Number(slow[1]);
    else if (crash) config.crashAfterS = Number(crash[1]);
    else if (label && LABEL_NAME.test(label[1])) config.statusLabel = label[1];
    else if (after) config.faultsAfterS = Number(after[1]);
    else if (part === "unhealthy") config.unhealthy = true;
  }
  return config;
}

function numberFrom(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name}=${JSON.stringify(raw)} is not a non-negative number`);
  return value;
}

/** Tag first (from IMAGE, else VERSION), then env overrides. */
export function demoAppConfig(env: Record<string, string | undefined>): DemoAppConfig {
  const tag = env.IMAGE ? versionOfImage(env.IMAGE) : (env.VERSION ?? "v0");
  const config = configFromTag(tag);
  if (env.VERSION) config.version = env.VERSION;
  const errorRate = numberFrom(env, "ERROR_RATE");
  if (errorRate !== undefined) {
    if (errorRate > 1) throw new Error(`ERROR_RATE=${errorRate} must be between 0 and 1`);
    config.errorRate = errorRate;
  }
  config.latencyMs = numberFrom(env, "LATENCY_MS") ?? config.latencyMs;
  if (env.HEALTHZ_FAIL !== undefined) config.unhealthy = env.HEALTHZ_FAIL === "1" || env.HEALTHZ_FAIL === "true";
  const crashAfterS = numberFrom(env, "CRASH_AFTER_S");
  if (crashAfterS !== undefined) config.crashAfterS = crashAfterS;
  if (env.STATUS_LABEL) {
    if (!LABEL_NAME.test(env.STATUS_LABEL))
      throw new Error(`STATUS_LABEL=${JSON.stringify(env.STATUS_LABEL)} is not a Prometheus label name`);
    config.statusLabel = env.STATUS_LABEL;
  }
  return config;
}
