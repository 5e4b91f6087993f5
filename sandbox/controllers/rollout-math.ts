// maxSurge / maxUnavailable as Kubernetes resolves them: ints or percentages
// of the desired replicas, surge rounded up and unavailable rounded down, and
// never both zero (unavailable becomes 1 then, or a rollout could not start).

export type IntOrPercent = number | string | undefined;

function resolve(value: IntOrPercent, replicas: number, fallback: string, roundUp: boolean): number {
  const raw = value ?? fallback;
  if (typeof raw === "number") return raw;
  const match = /^(\d+)%$/.exec(raw);
  if (!match) {
    if (/^\d+$/.test(raw)) return Number(raw);
    throw new Error(`invalid value for IntOrString: ${JSON.stringify(raw)}`);
  }
  const exact = (Number(match[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function resolveSurgeAndUnavailable(
  rollingUpdate: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent } | undefined,
  replicas: number,
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = resolve(rollingUpdate?.maxSurge, replicas, "25%", true);
  let maxUnavailable = resolve(rollingUpdate?.maxUnavailable, replicas, "25%", false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

/** Replicas the new ReplicaSet may have now: up to replicas + maxSurge pods in total. */
export function newReplicaSetReplicas(
  replicas: number,
  maxSurge: number,
  totalReplicas: number,
  newReplicas: number,
): number {
  const room = replicas + maxSurge - totalReplicas;
  if (room <= 0) return newReplicas;
  return Math.min(newReplicas + room, replicas);
}

/**
 * How many old pods may go now: all pods but the ones that must stay available
 * (replicas - maxUnavailable) and the new ones not yet available.
 */
export function maxScaledDown(
  totalReplicas: number,
  replicas: number,
  maxUnavailable: number,
  newUnavailable: number,
): number {
  return totalReplicas - (replicas - maxUnavailable) - newUnavailable;
}
