// `grayctl init`: writes a commented grayctl.yaml from templates/ that
// `grayctl validate` accepts as written.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { repositoryProblem } from "../../config/image-reference.ts";
import { parseConfig } from "../../config/load.ts";
import { APP_NAME, NAMESPACE_NAME } from "../../config/schema.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import type { CommandContext } from "../context.ts";
import { packageFileText } from "../package-files.ts";
import { exists } from "../../util/exists.ts";

export const ROUTERS = ["nginx", "istio", "gateway-api", "replicas"] as const;
type Router = (typeof ROUTERS)[number];

export interface InitOptions {
  app?: string;
  image?: string;
  router?: string;
  namespace?: string;
  force?: boolean;
}

const ROUTER_NOTES: Record<Router, { comment: string; host: boolean }> = {
  nginx: { comment: "        # ingress-nginx canary annotations on a second Ingress", host: true },
  istio: { comment: "        # Istio VirtualService route weights", host: true },
  "gateway-api": { comment: "  # Gateway API HTTPRoute backendRef weights", host: true },
  replicas: { comment: "     # no router: the split follows the replica ratio", host: false },
};

function templateUrl(): URL {
  // src/cli/commands/init.ts and dist/cli/commands/init.js are both three levels below the package root.
  return new URL("../../../templates/grayctl.yaml", import.meta.url);
}

export async function initCommand(ctx: CommandContext, options: InitOptions): Promise<number> {
  const router = (options.router ?? "replicas") as Router;
  if (!ROUTERS.includes(router))
    throw new UsageError(`--router: "${options.router}" is not one of ${ROUTERS.join(", ")}`);
  const app = options.app ?? defaultApp(ctx.cwd);
  const namespace = ctx.globals.namespace ?? options.namespace ?? "default";
  // Checked before they are written into YAML text, so that no flag can add lines to the file.
  if (!APP_NAME.test(app) || app.length > 53)
    throw new UsageError(
      `--app: ${JSON.stringify(app)} is not an app name: a DNS-1035 label of at most 53 characters (lower-case letters, digits and '-', starting with a letter)`,
    );
  if (!NAMESPACE_NAME.test(namespace) || namespace.length > 63)
    throw new UsageError(
      `-n/--namespace: ${JSON.stringify(namespace)} is not a namespace name (a DNS-1123 label, e.g. shop)`,
    );
  const problem = options.image === undefined ? undefined : repositoryProblem(options.image);
  if (problem) throw new UsageError(`--image: ${JSON.stringify(options.image)} ${problem}`);
  const file = resolve(ctx.cwd, ctx.globals.config ?? ctx.env.GRAYCTL_CONFIG ?? "grayctl.yaml");
  if (!options.force && (await exists(file))) {
    throw new UsageError(`${file} already exists`, "Pass --force to overwrite it.");
  }
  const note = ROUTER_NOTES[router];
  const host = `${app}.example.com`;
  const text = packageFileText("templates/grayctl.yaml", templateUrl)
    .replaceAll("{{app}}", app)
    .replaceAll("{{namespace}}", namespace)
    .replaceAll("{{repository}}", options.image ?? `registry.example.com/${app}`)
    .replaceAll("{{router}}", router)
    .replaceAll("{{routerComment}}", note.comment)
    .replaceAll("{{hostLine}}", note.host ? `  host: ${host}   # the host name your users reach\n` : "");
  // Refuse to write a file that would not validate (e.g. an --app that is not a DNS label).
  parseConfig(text, { cwd: ctx.cwd, env: {}, file });
  await writeFile(file, text, { flag: options.force ? "w" : "wx" });
  ctx.reporter.result(
    "written",
    { file, app, router },
    `wrote ${file} (app ${app}, router ${router}); check it with \`grayctl validate\``,
  );
  return ExitCode.ok;
}

export function defaultApp(cwd: string): string {
  const base = cwd.split("/").filter(Boolean).pop() ?? "app";
  const cleaned = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    // An app name starts with a letter (it names Services) and leaves room for -canary.
    .replace(/^[^a-z]+/, "")
    .slice(0, 53)
    .replace(/-+$/, "");
  return cleaned || "app";
}
