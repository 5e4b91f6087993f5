// Registry credentials, looked up the way the Docker CLI does, plus CI variables.
// Order: GRAYCTL_REGISTRY_USERNAME/PASSWORD; config.json credHelpers[host];
// config.json auths[host] (auth base64 or username/password, identitytoken);
// config.json credsStore. Every secret found is registered with reporter.redact.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { Reporter } from "../output/types.ts";
import { BuildTimeoutError, BuildUserError } from "./errors.ts";

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** an OAuth refresh token (docker login with an identity provider) */
  identityToken?: string;
  /** where they came from, for --verbose; never the secret itself */
  source: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface CredentialLookupOptions {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  reporter: Reporter;
  helperTimeoutMs: number;
  signal?: AbortSignal;
}

export async function lookupCredentials(
  credentialKey: string,
  options: CredentialLookupOptions,
): Promise<RegistryCredentials | undefined> {
  const found = await findCredentials(credentialKey, options);
  if (found) {
    for (const secret of [found.password, found.identityToken]) if (secret) options.reporter.redact(secret);
    options.reporter.debug(`registry credentials for ${credentialKey} from ${found.source}`);
  } else {
    options.reporter.debug(`no registry credentials for ${credentialKey}`);
  }
  return found;
}

async function findCredentials(
  key: string,
  options: CredentialLookupOptions,
): Promise<RegistryCredentials | undefined> {
  const { env } = options;
  if (env.GRAYCTL_REGISTRY_USERNAME && env.GRAYCTL_REGISTRY_PASSWORD) {
    return {
      username: env.GRAYCTL_REGISTRY_USERNAME,
      password: env.GRAYCTL_REGISTRY_PASSWORD,
      source: "GRAYCTL_REGISTRY_USERNAME/GRAYCTL_REGISTRY_PASSWORD",
    };
  }
  const configDir = env.DOCKER_CONFIG || join(options.homeDir, ".docker");
  const configPath = join(configDir, "config.json");
  const config = await readDockerConfig(configPath, options.reporter);
  if (!config) return undefined;

  const helper = config.credHelpers?.[key];
  if (helper) return runCredentialHelper(helper, key, options);

  const entry = findAuthEntry(config.auths ?? {}, key);
  if (entry?.identitytoken) {
    options.reporter.redact(entry.identitytoken);
    return { username: entry.username, identityToken: entry.identitytoken, source: configPath };
  }
  if (entry?.auth) {
    options.reporter.redact(entry.auth);
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) throw new BuildUserError(`${configPath}: auths["${key}"].auth is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: configPath };
  }
  if (entry?.username && entry.password) {
    return { username: entry.username, password: entry.password, source: configPath };
  }
  if (config.credsStore) return runCredentialHelper(config.credsStore, key, options);
  return undefined;
}

async function readDockerConfig(path: string, reporter: Reporter): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new BuildUserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    // The message of JSON.parse may quote the file, which holds secrets: say only where.
    reporter.debug(`${path} is not valid JSON`);
    throw new BuildUserError(`${path} is not valid JSON`, "Fix or remove it, then run `docker login` again");
  }
}

/** Docker accepts keys with or without scheme and with a /v1/ path; match on the host. */
function findAuthEntry(auths: NonNullable<DockerConfigFile["auths"]>, key: string) {
  if (auths[key]) return auths[key];
  const host = hostOf(key);
  const match = Object.keys(auths).find((candidate) => hostOf(candidate) === host);
  return match ? auths[match] : undefined;
}

function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
}

/** Runs docker-credential-<name> get with the server URL on stdin, as Docker does. */
async function runCredentialHelper(
  name: string,
  key: string,
  options: CredentialLookupOptions,
): Promise<RegistryCredentials | undefined> {
  const command = `docker-credential-${name}`;
  const result = await execa(command, ["get"], {
    input: key,
    env: options.env,
    extendEnv: false,
    reject: false,
    timeout: options.helperTimeoutMs,
    cancelSignal: options.signal,
  });
  if (result.timedOut) throw new BuildTimeoutError(`${command} get`, options.helperTimeoutMs);
  const stdout = String(result.stdout).trim();
  if (result.exitCode === undefined) {
    throw new BuildUserError(
      `credential helper ${command} (from the Docker config) could not be run: ${result.code ?? "not found"}`,
      `Install ${command} on PATH, or remove "${name}" from credHelpers/credsStore in config.json`,
    );
  }
  if (result.exitCode !== 0) {
    // Helpers answer "credentials not found in native keychain" for an unknown server.
    if (/not found/i.test(stdout) || /not found/i.test(String(result.stderr))) return undefined;
    throw new BuildUserError(`credential helper ${command} failed (exit ${result.exitCode}) for ${key}`);
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new BuildUserError(`credential helper ${command} did not answer JSON for ${key}`);
  }
  if (!parsed.Secret) return undefined;
  options.reporter.redact(parsed.Secret);
  // "<token>" is how helpers mark an identity token instead of a password.
  if (parsed.Username === "<token>") return { identityToken: parsed.Secret, source: command };
  return { username: parsed.Username, password: parsed.Secret, source: command };
}

/** The X-Registry-Auth body dockerode sends to the engine for a push. */
export function engineAuthConfig(credentials: RegistryCredentials | undefined, serverAddress: string) {
  if (!credentials) return {};
  if (credentials.identityToken) return { identitytoken: credentials.identityToken, serveraddress: serverAddress };
  return { username: credentials.username, password: credentials.password, serveraddress: serverAddress };
}
