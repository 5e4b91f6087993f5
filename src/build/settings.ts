// The contract between the configuration (`image:` in grayctl.yaml, validated
// and defaulted by src/config) and the build core, plus what the core returns.
import type Dockerode from "dockerode";
import type { Reporter } from "../output/types.ts";

export interface ImageSettings {
  /** e.g. localhost:5000/shop/checkout (no tag, no digest) */
  repository: string;
  /** absolute path of the build context directory */
  context: string;
  /** path relative to context, default "Dockerfile" */
  dockerfile: string;
  tag: "commit" | "abbrev-commit" | "tree";
  dirty: "refuse" | "suffix";
  buildArgs: Record<string, string>;
  target?: string;
  platform?: string;
  labels: Record<string, string>;
}

export interface Revision {
  commit: string;
  /** tree sha of the context directory at HEAD (only when git is usable) */
  tree?: string;
  dirty: boolean;
}

export interface BuildResult {
  /** repository:tag@sha256:… — what gets deployed */
  image: string;
  repository: string;
  tag: string;
  digest: string;
  revision: Revision;
  built: boolean;
  pushed: boolean;
}

export interface Clock {
  now(): Date;
}

/** Upper bounds for every wait in a build; tests shorten them. */
export interface BuildTimeouts {
  gitMs: number;
  engineMs: number;
  registryMs: number;
  credentialHelperMs: number;
  buildMs: number;
  pushMs: number;
}

export const defaultTimeouts: BuildTimeouts = {
  gitMs: 30_000,
  engineMs: 10_000,
  registryMs: 30_000,
  credentialHelperMs: 15_000,
  buildMs: 30 * 60_000,
  pushMs: 30 * 60_000,
};

export interface BuildDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  signal?: AbortSignal;
  docker?: Dockerode;
  /** where ~/.docker lives when DOCKER_CONFIG is unset; defaults to os.homedir() */
  homeDir?: string;
  clock?: Clock;
  timeouts?: Partial<BuildTimeouts>;
}
