// The CI integrations plug into the reporter through the interfaces output/
// defines (output/ci-plug.ts), so output/ never imports ci/.

export type { CiIntegration, CiIo } from "../output/ci-plug.ts";

/** Progress kinds whose output is the build's: folded away in the job log. */
export const BUILD_KINDS = new Set(["build", "push"]);
