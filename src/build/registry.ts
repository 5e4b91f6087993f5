// Asks the registry whether repository:tag exists (HEAD /v2/<name>/manifests/<tag>),
// with the two auth flows registries use on 401: Bearer token and Basic.
import type { Reporter } from "../output/types.ts";
import type { RegistryCredentials } from "./credentials.ts";
import { BuildTimeoutError, RegistryError } from "./errors.ts";
import { type RepositoryRef, registryScheme } from "./image-ref.ts";
import { parseWwwAuthenticate } from "./www-authenticate.ts";

const manifestMediaTypes = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

export type ManifestCheck = { exists: true; digest: string } | { exists: false };

export interface RegistryOptions {
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  credentials: () => Promise<RegistryCredentials | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function checkManifest(ref: RepositoryRef, tag: string, options: RegistryOptions): Promise<ManifestCheck> {
  const base = `${registryScheme(ref.registryHost, options.env)}://${ref.registryHost}`;
  const url = `${base}/v2/${ref.name}/manifests/${encodeURIComponent(tag)}`;
  const headers: Record<string, string> = { Accept: manifestMediaTypes.join(", ") };

  let response = await request(url, { method: "HEAD", headers }, options);
  if (response.status === 401) {
    const authorization = await authorize(ref, response.headers.get("www-authenticate"), options);
    response = await request(url, { method: "HEAD", headers: { ...headers, Authorization: authorization } }, options);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        `registry ${ref.registryHost} rejected the credentials for ${ref.name} (HTTP ${response.status})`,
        {
          status: response.status,
          user: true,
          hint: `Check them with \`docker login ${ref.registryHost}\`, or GRAYCTL_REGISTRY_USERNAME/GRAYCTL_REGISTRY_PASSWORD`,
        },
      );
    }
  }
  if (response.status === 404) return { exists: false };
  if (response.status === 200) {
    const digest = response.headers.get("docker-content-digest");
    if (!digest)
      throw new RegistryError(`registry ${ref.registryHost} answered ${url} without a Docker-Content-Digest`);
    return { exists: true, digest };
  }
  throw new RegistryError(`registry ${ref.registryHost} answered HEAD ${url} with HTTP ${response.status}`, {
    status: response.status,
  });
}

/** Turns a 401 challenge into an Authorization header value. */
async function authorize(ref: RepositoryRef, header: string | null, options: RegistryOptions): Promise<string> {
  const challenge = parseWwwAuthenticate(header);
  const credentials = await options.credentials();
  if (challenge?.scheme === "bearer" && challenge.params.realm) {
    const token = await fetchBearerToken(ref, challenge.params, credentials, options);
    return `Bearer ${token}`;
  }
  if (challenge?.scheme === "basic" && credentials?.username && credentials.password) {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    options.reporter.redact(basic);
    return `Basic ${basic}`;
  }
  throw missingCredentials(ref, challenge?.scheme);
}

async function fetchBearerToken(
  ref: RepositoryRef,
  params: Record<string, string>,
  credentials: RegistryCredentials | undefined,
  options: RegistryOptions,
): Promise<string> {
  const scope = params.scope ?? `repository:${ref.name}:pull`;
  let response: Response;
  if (credentials?.identityToken) {
    // An identity token is an OAuth2 refresh token: POST it as a form (the distribution token spec).
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: credentials.identityToken,
      service: params.service ?? "",
      scope,
      client_id: "grayctl",
    });
    response = await request(params.realm, { method: "POST", body: form }, options);
  } else {
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", scope);
    const headers: Record<string, string> = {};
    if (credentials?.username && credentials.password) {
      const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
      options.reporter.redact(basic);
      headers.Authorization = `Basic ${basic}`;
    }
    response = await request(url.toString(), { method: "GET", headers }, options);
  }
  if (response.status === 401 || response.status === 403) {
    throw credentials
      ? new RegistryError(`token service of ${ref.registryHost} rejected the credentials (HTTP ${response.status})`, {
          status: response.status,
          user: true,
          hint: `Check them with \`docker login ${ref.registryHost}\``,
        })
      : missingCredentials(ref, "bearer");
  }
  if (!response.ok) {
    throw new RegistryError(`token service of ${ref.registryHost} answered HTTP ${response.status}`, {
      status: response.status,
    });
  }
  const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError(`token service of ${ref.registryHost} answered without a token`);
  options.reporter.redact(token);
  return token;
}

function missingCredentials(ref: RepositoryRef, scheme: string | undefined): RegistryError {
  return new RegistryError(
    `registry ${ref.registryHost} requires credentials for ${ref.name} (${scheme ?? "unknown"} auth) and none were found`,
    {
      status: 401,
      user: true,
      hint: `Run \`docker login ${ref.registryHost}\`, or set GRAYCTL_REGISTRY_USERNAME and GRAYCTL_REGISTRY_PASSWORD`,
    },
  );
}

async function request(url: string, init: RequestInit, options: RegistryOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await fetch(url, { ...init, signal, redirect: "follow" });
  } catch (error) {
    if (timeout.aborted) throw new BuildTimeoutError(`${init.method} ${url}`, options.timeoutMs);
    if (options.signal?.aborted) throw options.signal.reason;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryError(
      `cannot reach the registry at ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      {
        hint: "Check image.repository and that the registry is up; for a plain-HTTP registry add its host to GRAYCTL_INSECURE_REGISTRIES",
        unreachable: true,
        cause: error,
      },
    );
  }
}
