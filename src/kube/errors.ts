// Kubernetes API failures as values grayctl can reason about: the Status code,
// reason and message from the body, and whether a retry can help.
import { ExitCode, GrayctlError } from "../errors.ts";

export interface ApiFailure {
  code?: number;
  reason?: string;
  message: string;
  retryAfterMs?: number;
  transient: boolean;
}

const TRANSIENT_NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ECONNABORTED",
]);

function parseBody(body: unknown): { message?: string; reason?: string } {
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as { message?: string; reason?: string };
    } catch {
      return { message: body.slice(0, 200) };
    }
  }
  if (body && typeof body === "object") return body as { message?: string; reason?: string };
  return {};
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function describeApiError(error: unknown): ApiFailure {
  const candidate = error as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: string };
  if (typeof candidate?.code === "number") {
    const status = parseBody(candidate.body);
    const retryAfter = Number(candidate.headers?.["retry-after"] ?? candidate.headers?.["Retry-After"]);
    return {
      code: candidate.code,
      reason: status.reason,
      message: status.message ?? `HTTP ${candidate.code}`,
      retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
      transient: candidate.code >= 500 || candidate.code === 429,
    };
  }
  if (error instanceof ConnectionError) return { message: error.message, transient: TRANSIENT_NETWORK.has(error.code) };
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const transient =
    (code !== undefined && TRANSIENT_NETWORK.has(code)) ||
    /socket hang up|fetch failed|ECONNRESET|terminated/i.test(message);
  return { message: code ? `${message} (${code})` : message, transient };
}

export const isNotFound = (error: unknown) => describeApiError(error).code === 404;
export const isConflict = (error: unknown) => describeApiError(error).code === 409;
export const isAlreadyExists = (error: unknown) => {
  const failure = describeApiError(error);
  return failure.code === 409 && failure.reason === "AlreadyExists";
};

/** The API server answered for itself (a Status object), as opposed to relaying a pod's own answer. */
export function isStatusBody(error: unknown): boolean {
  const body = (error as { body?: unknown })?.body;
  const parsed = typeof body === "string" ? parseBody(body) : body;
  return (parsed as { kind?: string } | undefined)?.kind === "Status";
}

/**
 * A 401 (credentials refused), or a 403 from the authorizer, as an error the user can act on: which verb on
 * which resource the identity lacks, and where the Role that grants it is.
 * RBAC's message is "<resource> is forbidden: User "<u>" cannot <verb>
 * resource "<resource>" in API group "<group>" in the namespace "<ns>"".
 */
export function permissionProblem(error: unknown): { message: string; hint: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const failure = describeApiError(current);
    if (failure.code === 401) {
      return {
        message: `the Kubernetes API did not accept the kubeconfig's credentials (401 ${failure.message})`,
        hint: "The token or client certificate is wrong or has expired: check --kubeconfig and --context, or refresh the credentials.",
      };
    }
    if (failure.code === 403) {
      const rbac =
        /User "([^"]+)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(
          failure.message,
        );
      if (!rbac) return { message: `the Kubernetes API refused: ${failure.message}`, hint: RBAC_HINT };
      const [, user, verb, resource, group, namespace] = rbac;
      const where = namespace ? ` in namespace ${namespace}` : "";
      const qualified = group ? `${resource}.${group}` : resource;
      return {
        message: `permission denied: ${user} cannot ${verb} ${qualified}${where}`,
        hint: `The Role grayctl runs with needs verb "${verb}" on resource "${resource}" (apiGroup "${group ?? ""}"). ${RBAC_HINT}`,
      };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A 404 for the namespace itself (creating an object in a namespace that does
 * not exist): the user's to fix, said as such — not an internal error.
 */
export function missingNamespace(error: unknown): { message: string; hint: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; body?: unknown };
    if (candidate.code === 404) {
      const details = (parseBody(candidate.body) as { details?: { kind?: string; name?: string } }).details;
      if (details?.kind === "namespaces" && details.name) {
        return {
          message: `namespace "${details.name}" does not exist in this cluster`,
          hint: `Create it (kubectl create namespace ${details.name}), or point grayctl at another: -n NAMESPACE, or namespace: in grayctl.yaml.`,
        };
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const RBAC_HINT = "templates/rbac.yaml holds every permission grayctl needs: kubectl -n NAMESPACE apply -f it.";

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|ERR_OSSL_)/;

/**
 * A request that never reached the API server, said in the words kubectl uses:
 * "connection refused: https://HOST:PORT", a host that does not resolve, a TLS
 * failure — not undici's "fetch failed". Its code keeps a refused or reset
 * connection transient (retried); an unresolvable host or a TLS failure is the
 * kubeconfig's problem, so it ends the command at once with exit 2.
 */
export class ConnectionError extends GrayctlError {
  readonly code: string;
  constructor(message: string, code: string, hint: string | undefined, transient: boolean, cause: unknown) {
    super(message, { exitCode: transient ? ExitCode.timeout : ExitCode.usage, hint, cause });
    this.name = "ConnectionError";
    this.code = code;
  }
}

/** Names why a request to `url` failed, or undefined when it was not a connection failure (an abort, a timeout). */
export function connectionError(error: unknown, url: string): ConnectionError | undefined {
  const code = networkCode(error);
  if (!code) return undefined;
  let server = url;
  try {
    server = new URL(url).origin;
  } catch {
    // keep the URL as given
  }
  const host = server.replace(/^\w+:\/\//, "").replace(/:\d+$/, "");
  const cause = (error as { cause?: { message?: string } }).cause;
  if (code === "ECONNREFUSED")
    return new ConnectionError(
      `connection refused: ${server}`,
      code,
      "Is the API server running, and is this its address?",
      true,
      error,
    );
  if (code === "ENOTFOUND")
    return new ConnectionError(
      `cannot resolve host ${host} (${server})`,
      code,
      "Check the cluster's server address in the kubeconfig (and --context), and this machine's DNS.",
      false,
      error,
    );
  if (TLS_CODES.test(code)) {
    // Node appends advice about --use-system-ca after a ";": grayctl's hint replaces it.
    const reason = (cause?.message ?? code).split(";")[0];
    return new ConnectionError(
      `TLS failure talking to ${server}: ${reason} (${code})`,
      code,
      "Check the cluster's certificate-authority(-data) and tls-server-name in the kubeconfig: the API server's certificate does not match them.",
      false,
      error,
    );
  }
  return undefined;
}
