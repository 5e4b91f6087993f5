// The transport `grayctl plan` runs the rollout's writes through: reads go to
// the API server, writes never leave the process. Each write is answered as
// the API server would (201 with the object, 409 when it exists, 404 when it
// does not) from an overlay that later reads see, and recorded, so the plan
// shows exactly the objects the rollout code would send — the same code, not a
// model of it (docs/decisions/024-plan.md). Only GET is ever sent, so a plan
// works with a Role that grants get/list/watch and nothing else.
import {
  type HttpLibrary,
  HttpMethod,
  RequestContext,
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary,
} from "@kubernetes/client-node";

type KubeObject = { metadata?: { name?: string; resourceVersion?: string }; [key: string]: unknown };

export interface RecordedWrite {
  method: string;
  /** The object's API path, e.g. /apis/apps/v1/namespaces/shop/deployments/shop-canary. */
  path: string;
  /** What the cluster held before this write (undefined: nothing). */
  before?: KubeObject;
  after: KubeObject;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const answer = (status: number, body: unknown) =>
  new ResponseContext(
    status,
    { "content-type": "application/json" },
    new SelfDecodingBody(Promise.resolve(Buffer.from(JSON.stringify(body)))),
  );

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  reason,
  message: `${message} (grayctl plan: not sent)`,
  code,
});

export class DryRunHttp {
  readonly writes: RecordedWrite[] = [];
  /** Objects as the writes so far left them; null once deleted. */
  private readonly overlay = new Map<string, KubeObject | null>();
  private readonly real: HttpLibrary;
  private sequence = 0;

  constructor(real: HttpLibrary) {
    this.real = real;
  }

  /** The HttpLibrary to hand to the client configuration. */
  library(): HttpLibrary {
    return wrapHttpLibrary({ send: (request) => this.send(request) });
  }

  private async send(request: RequestContext): Promise<ResponseContext> {
    const method = request.getHttpMethod();
    const url = new URL(request.getUrl());
    const path = url.pathname.replace(/\/$/, "");
    if (method === "GET") {
      const known = this.overlay.get(path);
      if (known === undefined) return this.forward(request);
      return known === null ? answer(404, status(404, "NotFound", `${path} not found`)) : answer(200, known);
    }
    const body = request.getBody();
    const sent = typeof body === "string" && body.length > 0 ? (JSON.parse(body) as KubeObject) : undefined;
    if (method === "POST") {
      const objectPath = `${path}/${sent?.metadata?.name ?? ""}`;
      const before = await this.current(request, objectPath);
      if (before) return answer(409, status(409, "AlreadyExists", `${objectPath} already exists`));
      return this.record(method, objectPath, undefined, sent ?? {}, 201);
    }
    const before = await this.current(request, path);
    if (!before) return answer(404, status(404, "NotFound", `${path} not found`));
    if (method === "PUT") return this.record(method, path, before, sent ?? {}, 200);
    if (method === "PATCH") {
      const type = request.getHeaders()["Content-Type"] ?? request.getHeaders()["content-type"] ?? "";
      // grayctl sends merge patches only (typed clients' strategic merge is never used for writes).
      if (!type.includes("merge-patch")) throw new Error(`grayctl plan cannot simulate a ${type} patch of ${path}`);
      return this.record(method, path, before, mergePatch(before, sent) as KubeObject, 200);
    }
    if (method === "DELETE") {
      this.overlay.set(path, null);
      this.writes.push({ method, path, before, after: {} });
      return answer(200, before);
    }
    throw new Error(`grayctl plan does not send ${method} ${path}`);
  }

  private record(method: string, path: string, before: KubeObject | undefined, after: KubeObject, code: number) {
    this.sequence += 1;
    const stored = structuredClone(after);
    stored.metadata = { ...stored.metadata, resourceVersion: `plan-${this.sequence}` };
    this.overlay.set(path, stored);
    this.writes.push({ method, path, before, after: stored });
    return answer(code, stored);
  }

  /** The object at `path` as the overlay or the cluster has it, read with a GET of the same request. */
  private async current(request: RequestContext, path: string): Promise<KubeObject | undefined> {
    const known = this.overlay.get(path);
    if (known !== undefined) return known ?? undefined;
    const url = new URL(request.getUrl());
    url.pathname = path;
    url.search = "";
    // A GET with the credentials and the TLS dispatcher the write was given.
    const read = new RequestContext(url.toString(), HttpMethod.GET);
    for (const [name, value] of Object.entries(request.getHeaders()))
      if (name.toLowerCase() !== "content-type") read.setHeaderParam(name, value);
    const dispatcher = request.getDispatcher();
    if (dispatcher) read.setDispatcher(dispatcher);
    const signal = request.getSignal();
    if (signal) read.setSignal(signal);
    const response = await this.forward(read);
    if (response.httpStatusCode === 404) return undefined;
    const text = await response.body.text();
    if (response.httpStatusCode !== 200) throw apiError(response.httpStatusCode, text);
    return JSON.parse(text) as KubeObject;
  }

  private forward(request: RequestContext): Promise<ResponseContext> {
    return this.real.send(request).toPromise();
  }
}

function apiError(code: number, text: string): Error {
  const error = new Error(`HTTP ${code}: ${text.slice(0, 300)}`) as Error & { code: number; body: string };
  error.code = code;
  error.body = text;
  return error;
}
