// The pods/log subresource (`kubectl logs [-f] [--tail N] POD [-c CONTAINER]`),
// read from the files the pod runtime writes for each container.
import { open, stat } from "node:fs/promises";
import { R } from "../resources.ts";
import type { RequestContext } from "./context.ts";
import { apiError, badRequest, methodNotAllowed } from "./status.ts";

const FOLLOW_POLL_MS = 200;

export async function handleLogs(ctx: RequestContext, logDir: string | undefined): Promise<void> {
  const { route, query, req, res, store } = ctx;
  if (route.type !== R.pods) throw apiError(404, "NotFound", `${route.type.plural} have no log subresource`);
  if (req.method !== "GET") throw methodNotAllowed(req.method ?? "", req.url ?? "");
  const namespace = route.namespace ?? "default";
  const name = route.name as string;
  const pod = store.mustGet(R.pods, namespace, name);
  const containers: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const container = query.get("container") ?? containers[0];
  if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  if (!logDir) throw badRequest(`the sandbox keeps no logs (started without workloads)`);
  const { podLogPath } = await import("../runtime/pod-runner.ts");
  const path = podLogPath(logDir, namespace, name, container);
  const exists = await stat(path).catch(() => undefined);
  if (!exists) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: no logs yet`);

  const initial = await readFrom(path, 0);
  let offset = initial.length;
  let text = initial.toString("utf8");
  const tail = query.get("tailLines");
  if (tail !== null) {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    text = lines.slice(Math.max(0, lines.length - Number(tail))).join("\n") + (lines.length > 0 ? "\n" : "");
  }
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.write(text);
  if (query.get("follow") !== "true") {
    res.end();
    return;
  }
  const timer = setInterval(async () => {
    const more = await readFrom(path, offset).catch(() => Buffer.alloc(0));
    offset += more.length;
    if (more.length > 0) res.write(more);
    if (!store.get(R.pods, namespace, name)) {
      clearInterval(timer);
      res.end();
    }
  }, FOLLOW_POLL_MS);
  res.on("close", () => clearInterval(timer));
}

async function readFrom(path: string, offset: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}
