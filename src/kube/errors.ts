// Kubernetes API failures as values grayctl can reason about: the Status code,
// reason and message from the body, and whether a retry can help.

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

const RBAC_HINT = "templates/rbac.yaml holds every permission grayctl needs: kubectl -n NAMESPACE apply -f it.";
