// Finds, parses, interpolates, overrides and validates grayctl.yaml. Every
// problem is reported with the file, line and column and the field path; the
// caller gets either a valid Config or a ConfigError listing all issues.
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { type ConfigIssue, ConfigError, UsageError } from "../errors.ts";
import { describeIssue, formatPath } from "./issues.ts";
import { applyOverride, interpolate, type Path, parseOverrides } from "./overrides.ts";
import { type Config, configSchema } from "./schema.ts";
import { configSecrets, type FromEnvironment } from "./secrets.ts";
import { type ResolvedTarget, resolveTargets } from "./targets.ts";

export interface LoadOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** --config */
  configPath?: string;
  /** --set path=value, in order */
  sets?: readonly string[];
  /** -n/--namespace: validated as the namespace field is, and it wins over the file and --set. */
  namespace?: string;
  /**
   * Registers each secret of the configuration (reporter.redact) as soon as it is known: before
   * validation, so that the errors of an invalid configuration are masked too.
   */
  onSecret?: (secret: string) => void;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read. */
  file: string;
  /** Values to redact from all output (tokens and passwords in the configuration). */
  secrets: string[];
  /** Whether the file (or --set) names the namespace; if not, the kubeconfig context's applies (cli/context.ts). */
  namespaceGiven: boolean;
  /** issue 22: each target's whole configuration, in the order of `targets` (absent without targets). */
  targets?: ResolvedTarget[];
}

export function resolveConfigPath(options: Pick<LoadOptions, "cwd" | "env" | "configPath">): string {
  const chosen = options.configPath ?? options.env.GRAYCTL_CONFIG ?? "grayctl.yaml";
  return isAbsolute(chosen) ? chosen : resolve(options.cwd, chosen);
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const file = resolveConfigPath(options);
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new UsageError(
        `no configuration at ${file}`,
        "Create one with `grayctl init`, or point to it with --config or GRAYCTL_CONFIG.",
      );
    }
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseConfig(source, { ...options, file });
}

export function parseConfig(source: string, options: LoadOptions & { file: string }): LoadedConfig {
  const display = displayName(options.file, options.cwd);
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return `${display}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ path: "", location: at(e.pos[0]), message: `invalid YAML: ${firstLine(e.message)}` })),
    );
  }
  const raw = toJS(doc, at);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([
      { path: "", location: `${display}:1:1`, message: "expected a mapping with app, image, traffic, rollout…" },
    ]);
  }
  const issues: ConfigIssue[] = [];
  const fromEnvironment: FromEnvironment[] = [];
  const interpolated = interpolate(raw, options.env, [], issues, fromEnvironment) as Record<string, unknown>;
  for (const issue of issues)
    issue.location = locate(doc, pathOf(issue.path), at, display, issue.message.includes("not a configuration field"));
  const { overrides, issues: setIssues } = parseOverrides(options.sets ?? []);
  issues.push(...setIssues);
  if (options.namespace !== undefined)
    overrides.push({ path: ["namespace"], value: options.namespace, source: "-n/--namespace" });
  for (const override of overrides) applyOverride(interpolated, override);
  const secrets = configSecrets(interpolated, fromEnvironment);
  // traffic.pin's value is read from the environment by name, not interpolated: registered here too, before validation.
  const pinSecret = rawPinValue(interpolated, options.env);
  if (pinSecret !== undefined) secrets.push(pinSecret);
  for (const secret of secrets) options.onSecret?.(secret);
  if (issues.length > 0) throw new ConfigError(issues);

  const result = configSchema.safeParse(interpolated, { reportInput: true });
  if (!result.success) {
    const found: ConfigIssue[] = [];
    for (const issue of result.error.issues) {
      for (const text of describeIssue(issue)) {
        const override = overrides.findLast((o) => startsWith(text.path, o.path));
        const pointAtKey = text.message.startsWith("unknown field");
        const location = override ? override.source : locate(doc, text.path, at, display, pointAtKey);
        found.push({ path: formatPath(text.path), message: text.message, location });
      }
    }
    throw new ConfigError(dedupe(found));
  }
  const config: Config = result.data;
  const pinIssue = resolvePin(config, options.env);
  if (pinIssue) {
    const location = locate(doc, ["traffic", "pin", "valueFrom", "env"], at, display);
    throw new ConfigError([{ path: "traffic.pin.valueFrom.env", location, message: pinIssue }]);
  }
  let targets: ResolvedTarget[] | undefined;
  if (config.targets) {
    const resolved = resolveTargets(interpolated, config, (path) => locate(doc, path, at, display));
    if (resolved.issues.length > 0) throw new ConfigError(dedupe(resolved.issues));
    for (const target of resolved.targets) {
      const issue = resolvePin(target.config, options.env);
      if (issue) throw new ConfigError([{ path: `targets.${target.name}.traffic.pin.valueFrom.env`, message: issue }]);
    }
    targets = resolved.targets;
  }
  return {
    config,
    file: options.file,
    secrets,
    namespaceGiven: interpolated.namespace !== undefined,
    targets,
  };
}

/** The value traffic.pin.valueFrom.env names, from the document before validation (undefined when none). */
function rawPinValue(document: Record<string, unknown>, env: Record<string, string | undefined>): string | undefined {
  const traffic = document.traffic as { pin?: { valueFrom?: { env?: unknown } } } | undefined;
  const name = traffic?.pin?.valueFrom?.env;
  const value = typeof name === "string" ? env[name] : undefined;
  return value === undefined || value === "" ? undefined : value;
}

// A pin value that anyone could guess is no pin: long, and safe in a header and an annotation.
const PIN_VALUE = /^[A-Za-z0-9._~+/=-]{16,256}$/;

/**
 * Reads traffic.pin's secret value from the environment into the configuration
 * (never into output: it is returned among the secrets). An unset variable is
 * not an error here: rollback, status and the other operating commands work
 * without it (the routers then leave the pin as it is); `rollout` and `validate`
 * require it (requirePinValue). Returns what is wrong with a value that is set.
 */
function resolvePin(config: Config, env: Record<string, string | undefined>): string | undefined {
  const pin = config.traffic.pin;
  if (!pin) return undefined;
  const value = env[pin.valueFrom.env];
  if (value === undefined || value === "") return undefined;
  // The message never includes the value: it is a secret, and this error is printed.
  if (!PIN_VALUE.test(value))
    return `the value of ${pin.valueFrom.env} is not a pin secret: 16 to 256 characters of letters, digits and . _ ~ + / = - (e.g. \`openssl rand -hex 16\`)`;
  pin.value = value;
  return undefined;
}

/** For commands that route with the pin: its variable must be set (it is optional for rollback, status…). */
export function requirePinValue(config: Config): void {
  const pin = config.traffic.pin;
  if (pin && pin.value === undefined)
    throw new ConfigError([
      {
        path: "traffic.pin.valueFrom.env",
        message: `environment variable ${pin.valueFrom.env} is not set: traffic.pin needs its secret value (or remove traffic.pin to turn pinning off)`,
      },
    ]);
}

// Each alias may expand to a whole subtree, so a few lines of anchors can stand
// for billions of nodes ("billion laughs"). The yaml library stops once the
// expanded aliases outweigh the document (its maxAliasCount); no configuration
// needs more than a handful.
const MAX_ALIASES = 100;

/** The document as plain data, or a ConfigError pointing at the first alias when aliases expand past the bound. */
function toJS(doc: Document, at: (offset: number) => string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let first: { offset: number; path: Path } | undefined;
    visit(doc, {
      Alias(_key, node, path) {
        first = { offset: node.range?.[0] ?? 0, path: pathOfNodes([...path, node]) };
        return visit.BREAK;
      },
    });
    throw new ConfigError([
      {
        path: formatPath(first?.path ?? []),
        location: at(first?.offset ?? 0),
        message: `invalid YAML: its aliases (*name) expand past ${MAX_ALIASES} copies, as in a "billion laughs" document; write the values out`,
      },
    ]);
  }
}

/** The keys and indexes leading to a node, from the ancestors yaml's visit() passes. */
function pathOfNodes(ancestors: readonly unknown[]): Path {
  const path: Path = [];
  ancestors.forEach((node, index) => {
    const next = ancestors[index + 1];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (next !== undefined && node && typeof node === "object" && "items" in node && !isMap(node)) {
      const position = (node as { items: unknown[] }).items.indexOf(next);
      if (position >= 0) path.push(position);
    }
  });
  return path;
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.every((part, index) => path[index] === part);
}

function pathOf(formatted: string): Path {
  const path: Path = [];
  for (const [, key, index] of formatted.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    path.push(index !== undefined ? Number(index) : key);
  return path;
}

/** Position of the deepest node along `path` that exists in the document. */
function locate(
  doc: Document,
  path: Path,
  at: (offset: number) => string,
  display: string,
  pointAtKey = false,
): string {
  for (let depth = path.length; depth > 0; depth--) {
    const prefix = path.slice(0, depth);
    const parent = depth === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
    const last = prefix[prefix.length - 1];
    if (isMap(parent)) {
      // Point at the key for mapping entries: that is where the reader looks.
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === last);
      if (pair && isPair(pair)) {
        const node = depth === path.length && !pointAtKey ? (pair.value ?? pair.key) : pair.key;
        const range =
          (node as { range?: [number, number, number] }).range ??
          (pair.key as { range?: [number, number, number] }).range;
        if (range) return at(range[0]);
      }
      continue;
    }
    const node = doc.getIn(prefix, true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return at(node.range[0]);
  }
  const root = doc.contents as { range?: [number, number, number] } | null;
  return root?.range ? at(root.range[0]) : `${display}:1:1`;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.location}|${issue.path}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
