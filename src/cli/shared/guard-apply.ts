// `grayctl guard install --apply`: creates the guard's objects in the namespace,
// or replaces them (a new schedule or image) when they exist.
import type { KubernetesObject } from "@kubernetes/client-node";
import { type Config, configSchema } from "../../config/schema.ts";
import { isNotFound } from "../../kube/errors.ts";
import { guardObjects } from "../../operate/guard-objects.ts";
import type { CommandContext } from "../context.ts";
import { namespaceOf } from "./guard-record.ts";
import { sessionFor } from "./operate-session.ts";

export async function applyGuardObjects(
  ctx: CommandContext,
  install: { schedule: string; image: string },
): Promise<number> {
  const namespace = await namespaceOf(ctx);
  const session = sessionFor(ctx, configSchema.parse({ app: "guard", namespace }) as Config);
  const objects = session.ctx.cluster.clients.objects;
  const applied: string[] = [];
  for (const object of guardObjects({ ...install, namespace }) as unknown as KubernetesObject[]) {
    const what = `${object.kind} ${object.metadata?.name}`;
    try {
      const current = await objects.read({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata?.name ?? "", namespace },
      });
      await objects.replace({
        ...object,
        metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion },
      });
      applied.push(`${what} replaced`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await objects.create(object);
      applied.push(`${what} created`);
    }
    ctx.reporter.info(`  ${applied.at(-1)}`);
  }
  ctx.reporter.result(
    "guard-installed",
    { namespace, schedule: install.schedule, image: install.image, applied },
    `the guard runs in ${namespace} on schedule "${install.schedule}" (${install.image})`,
  );
  return 0;
}
