// Renders the route table as a real nginx configuration, so the end-to-end suite
// can send traffic through the proxy grayctl's users actually run.
//
// One server per host (server_name), plus a default_server for rules without a
// host. First-match-wins over ordered rules is built from `map`s: each condition
// (path regex on $uri, header regex on $http_NAME) is a 0/1 map, a rule is the map
// of its conditions' concatenation, and the host's rule is the first "1" in the
// concatenation of its rules. Weights are `split_clients` keyed on $request_id, a
// fresh random value per request, i.e. a random draw as the real controllers do.
// Upstreams list the ready endpoints (sandbox pods' loopback host ports, or a
// real cluster's pod IPs and ports); a backend without endpoints
// answers 503, no matching rule 404, mirroring the front door.
import { type Endpoint, hostAndPort } from "../endpoints.ts";
import { type Backend, backendKey, type HeaderMatch, type HostRoutes, type PathMatch, type Rule } from "./model.ts";
import type { RouteTable } from "./routes.ts";

export interface NginxRenderInput {
  table: RouteTable;
  endpoints: (backend: Backend) => Endpoint[];
  port: number;
  /** Absolute directory for pid, logs and temp paths; nginx writes nothing elsewhere. */
  workDir: string;
  /** Run workers as root (nginx drops to "nobody" otherwise, which cannot enter a 0700 temp dir). */
  runAsRoot: boolean;
}

export const STATUS_HOST = "sandbox-status.invalid";
const NO_ROUTE = "sbx_404";
const NO_ENDPOINTS = "sbx_503";

/** A double-quoted nginx string: the parser unescapes \\ and \" only. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** PCRE source for a path match, or undefined when it matches every path. */
export function pathRegex(match: PathMatch | undefined): string | undefined {
  if (!match) return undefined;
  switch (match.type) {
    case "exact":
      return `^${escapeRegex(match.value)}$`;
    case "string-prefix":
      return match.value === "/" || match.value === "" ? undefined : `^${escapeRegex(match.value)}`;
    case "prefix": {
      const prefix = match.value.replace(/\/+$/, "");
      return prefix === "" ? undefined : `^${escapeRegex(prefix)}(?:/.*)?$`;
    }
    case "regex":
      return `^(?:${match.value})$`;
  }
}

export function headerRegex(match: HeaderMatch): string {
  if (match.type === "exact") return `^${escapeRegex(match.value)}$`;
  if (match.type === "prefix") return `^${escapeRegex(match.value)}`;
  return `^(?:${match.value})$`;
}

/** nginx exposes request headers as $http_<lower-case name with - as _>. */
export const headerVariable = (name: string) => `$http_${name.toLowerCase().replace(/-/g, "_")}`;

class Renderer {
  readonly lines: string[] = [];
  private readonly upstreams = new Map<string, { name: string; backend: Backend; endpoints: Endpoint[] }>();
  private readonly input: NginxRenderInput;

  constructor(input: NginxRenderInput) {
    this.input = input;
  }

  /** The upstream name serving a backend, or the 503 marker when it has no ready pod. */
  upstreamOf(backend: Backend): string {
    const key = backendKey(backend);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      upstream = { name: `sbx_u${this.upstreams.size}`, backend, endpoints: this.input.endpoints(backend) };
      this.upstreams.set(key, upstream);
    }
    return upstream.endpoints.length ? upstream.name : NO_ENDPOINTS;
  }

  private zeroOneMap(source: string, regex: string, variable: string): void {
    this.lines.push(`  map ${quote(source)} ${variable} { ${quote(`~${regex}`)} 1; default 0; }`);
  }

  /** A variable (or literal) that is "1" when the rule's conditions hold. */
  private ruleBit(rule: Rule, prefix: string): string {
    const conditions: string[] = [];
    const path = pathRegex(rule.path);
    // References are braced: they are concatenated with each other and with literals.
    if (path) {
      this.zeroOneMap("$uri", path, `$${prefix}_path`);
      conditions.push(`\${${prefix}_path}`);
    }
    rule.headers.forEach((header, index) => {
      this.zeroOneMap(headerVariable(header.name), headerRegex(header), `$${prefix}_h${index}`);
      conditions.push(`\${${prefix}_h${index}}`);
    });
    if (conditions.length === 0) return "1";
    if (conditions.length === 1) return conditions[0];
    const all = "1".repeat(conditions.length);
    this.lines.push(`  map ${quote(conditions.join(""))} $${prefix} { ${all} 1; default 0; }`);
    return `\${${prefix}}`;
  }

  /** The upstream (or marker) a matched rule sends a request to. */
  private rulePick(rule: Rule, prefix: string): string {
    const live = rule.backends.filter((b) => b.weight > 0);
    if (live.length === 0) return NO_ENDPOINTS;
    if (live.length === 1) return this.upstreamOf(live[0]);
    const total = live.reduce((sum, b) => sum + b.weight, 0);
    const entries = live.map((backend, index) => {
      const target = this.upstreamOf(backend);
      if (index === live.length - 1) return `    * ${target};`;
      // split_clients takes at most two decimals; flooring keeps the sum under 100%.
      const percent = Math.floor((backend.weight / total) * 10_000) / 100;
      return `    ${percent}% ${target};`;
    });
    this.lines.push(`  split_clients "\${request_id}" $${prefix}_pick {`, ...entries, "  }");
    return `$${prefix}_pick`;
  }

  host(routes: HostRoutes, index: number): string {
    const prefix = `sbx_h${index}`;
    this.lines.push(`  # ${routes.kind} host ${quote(routes.host || "(default)")}`);
    const bits: string[] = [];
    const picks: string[] = [];
    routes.rules.forEach((rule, r) => {
      this.lines.push(`  # rule ${r}: ${rule.origin}`);
      bits.push(this.ruleBit(rule, `${prefix}_r${r}`));
      picks.push(this.rulePick(rule, `${prefix}_r${r}`));
    });
    const choices = picks.map((pick, r) => `    ${quote(`~^${"0".repeat(r)}1`)} ${pick};`);
    this.lines.push(
      `  map ${quote(bits.join("") || "0")} $${prefix}_up {`,
      ...choices,
      `    default ${NO_ROUTE};`,
      "  }",
    );
    return `$${prefix}_up`;
  }

  upstreamBlocks(): string[] {
    const out: string[] = [];
    const pods: string[] = [];
    const services: string[] = [];
    for (const { name, backend, endpoints } of this.upstreams.values()) {
      if (endpoints.length === 0) continue;
      out.push(`  upstream ${name} {`);
      for (const endpoint of endpoints) {
        const address = hostAndPort(endpoint);
        out.push(`    server ${address};`);
        pods.push(`    ${quote(address)} ${quote(endpoint.name)};`);
      }
      out.push("    keepalive 16;", "  }");
      services.push(`    ${name} ${quote(`${backend.namespace}/${backend.service}`)};`);
    }
    out.push("  map $upstream_addr $sbx_pod {", ...new Set(pods), '    default "";', "  }");
    out.push("  map $sbx_up $sbx_service {", ...services, '    default "";', "  }");
    return out;
  }
}

function serverBlock(listen: string, names: string, upVariable: string, version: number): string[] {
  return [
    "  server {",
    `    listen ${listen};`,
    `    server_name ${names};`,
    `    add_header x-sandbox-config ${version} always;`,
    "    location / {",
    `      set $sbx_up ${upVariable};`,
    `      if ($sbx_up = ${NO_ROUTE}) { return 404 "sandbox: no route\\n"; }`,
    `      if ($sbx_up = ${NO_ENDPOINTS}) { return 503 "sandbox: no ready endpoints\\n"; }`,
    "      add_header x-sandbox-config " + version + " always;",
    "      add_header x-sandbox-service $sbx_service always;",
    "      add_header x-sandbox-pod $sbx_pod always;",
    "      proxy_pass http://$sbx_up;",
    "    }",
    "  }",
  ];
}

/** The whole nginx.conf; `version` is served by the status host so callers can tell a reload landed. */
export function renderNginxConfig(input: NginxRenderInput, version: number): string {
  const { workDir, port } = input;
  const listen = `127.0.0.1:${port}`;
  const renderer = new Renderer(input);
  const servers: string[] = [];
  // `deferred` (TCP_DEFER_ACCEPT): a connection reaches nginx only once its request
  // bytes have arrived. Without it, a worker retired by a reload closes connections
  // it accepted but had not read yet, and those clients see a reset.
  const defaultListen = `${listen} default_server deferred`;
  let defaultServer = serverBlock(defaultListen, "_", NO_ROUTE, version);
  input.table.hosts.forEach((routes, index) => {
    const upVariable = renderer.host(routes, index);
    if (routes.host === "") defaultServer = serverBlock(defaultListen, "_", upVariable, version);
    else servers.push(...serverBlock(listen, quote(routes.host), upVariable, version));
  });
  return [
    `# Written by the grayctl sandbox (sandbox/traffic); regenerated on every routing change.`,
    ...(input.runAsRoot ? ["user root root;"] : []),
    "daemon off;",
    "master_process on;",
    "worker_processes 2;",
    `pid ${quote(`${workDir}/nginx.pid`)};`,
    `error_log ${quote(`${workDir}/error.log`)} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
      (t) => `  ${t}_temp_path ${quote(`${workDir}/tmp/${t}`)};`,
    ),
    "  server_names_hash_bucket_size 128;",
    "  variables_hash_max_size 4096;",
    "  variables_hash_bucket_size 128;",
    "  proxy_http_version 1.1;",
    '  proxy_set_header Connection "";',
    "  proxy_set_header Host $http_host;",
    "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    ...renderer.lines,
    ...renderer.upstreamBlocks(),
    ...defaultServer,
    ...servers,
    "  server {",
    `    listen ${listen};`,
    `    server_name ${STATUS_HOST};`,
    `    location / { return 200 "${version}\\n"; }`,
    "  }",
    "}",
    "",
  ].join("\n");
}
