// Endpoints from EndpointSlices, as a real cluster publishes them: what the
// front door, the nginx config and the Prometheus targets reach on a real
// cluster (pod IP + port), beside the sandbox's host-port endpoints.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HOST_PORTS_ANNOTATION, podAddress, SERVICE_NAME_LABEL, serviceEndpoints } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import { type KubeObject, Store } from "../../sandbox/store.ts";
import { anIngress } from "../../sandbox/traffic/builders.ts";
import { renderNginxConfig } from "../../sandbox/traffic/nginx-config.ts";
import { targetGroups } from "../../sandbox/traffic/prometheus-targets.ts";
import { buildRouteTable } from "../../sandbox/traffic/routes.ts";
import { TrafficState } from "../../sandbox/traffic/state.ts";

const NS = "shop";

interface SliceEndpoint {
  ip: string;
  pod?: string;
  ready?: boolean;
  terminating?: boolean;
}

/** An EndpointSlice as the EndpointSlice controller writes it. */
function aSlice(
  name: string,
  service: string,
  ports: { name?: string; port: number }[],
  endpoints: SliceEndpoint[],
  addressType = "IPv4",
): KubeObject {
  return {
    metadata: { name, labels: { [SERVICE_NAME_LABEL]: service, "endpointslice.kubernetes.io/managed-by": "x" } },
    addressType,
    ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: "TCP" })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ...(e.ready === undefined ? {} : { ready: e.ready }),
        serving: e.ready ?? true,
        terminating: e.terminating ?? false,
      },
      ...(e.pod ? { targetRef: { kind: "Pod", namespace: NS, name: e.pod } } : {}),
    })),
  };
}

function aService(name: string, ports: { name?: string; port: number; targetPort?: number | string }[]): KubeObject {
  return { metadata: { name }, spec: { selector: { app: name }, ports } };
}

function aPod(name: string, app: string, extra: { podIP?: string; hostPorts?: Record<string, number> } = {}) {
  return {
    metadata: {
      name,
      labels: { app },
      ...(extra.hostPorts ? { annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify(extra.hostPorts) } } : {}),
    },
    spec: {
      containers: [
        {
          name: "app",
          ports: [
            { name: "http", containerPort: 8080 },
            { name: "metrics", containerPort: 9090 },
          ],
        },
      ],
    },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
      ...(extra.podIP ? { podIP: extra.podIP } : {}),
    },
  } satisfies KubeObject;
}

const addresses = (endpoints: { host: string; port: number; name: string }[]) =>
  endpoints.map((e) => `${e.name}@${e.host}:${e.port}`).sort();

describe("serviceEndpoints from EndpointSlices", () => {
  test("ready endpoints only, at the slice's port for the Service port, named after their pods", () => {
    const store = new Store();
    store.create(R.services, NS, aService("web", [{ name: "http", port: 80, targetPort: "http" }]));
    store.create(R.pods, NS, aPod("web-a", "web", { podIP: "10.244.0.5" }));
    store.create(
      R.endpointslices,
      NS,
      aSlice(
        "web-abc",
        "web",
        [{ name: "http", port: 8080 }],
        [
          { ip: "10.244.0.5", pod: "web-a", ready: true },
          { ip: "10.244.0.6", pod: "web-b", ready: false }, // not ready yet
          { ip: "10.244.0.7", pod: "web-c", ready: false, terminating: true }, // going away
          { ip: "10.244.0.8", pod: "web-d" }, // ready unset: the API says treat it as ready
        ],
      ),
    );
    // The same endpoint in a second slice (the controller moving it) counts once; other Services' slices do not count.
    store.create(
      R.endpointslices,
      NS,
      aSlice("web-def", "web", [{ name: "http", port: 8080 }], [{ ip: "10.244.0.5", pod: "web-a", ready: true }]),
    );
    store.create(
      R.endpointslices,
      NS,
      aSlice("api-xyz", "api", [{ name: "http", port: 8080 }], [{ ip: "10.244.9.9", pod: "api-a", ready: true }]),
    );
    const endpoints = serviceEndpoints(store, NS, "web");
    assert.deepEqual(addresses(endpoints), ["shop/web-a@10.244.0.5:8080", "shop/web-d@10.244.0.8:8080"]);
    assert.equal(endpoints.find((e) => e.host === "10.244.0.5")?.pod?.metadata.name, "web-a", "the pod, when held");
    assert.equal(endpoints.find((e) => e.host === "10.244.0.8")?.pod, undefined, "no pod object for web-d");
  });

  test("a multi-port Service: each Service port maps to its own slice port, by name or number", () => {
    const store = new Store();
    store.create(
      R.services,
      NS,
      aService("web", [
        { name: "http", port: 80, targetPort: "http" },
        { name: "metrics", port: 9000, targetPort: 9090 },
      ]),
    );
    store.create(
      R.endpointslices,
      NS,
      aSlice(
        "web-1",
        "web",
        [
          { name: "metrics", port: 9090 },
          { name: "http", port: 8080 },
        ],
        [{ ip: "10.244.0.5", pod: "web-a", ready: true }],
      ),
    );
    assert.deepEqual(addresses(serviceEndpoints(store, NS, "web")), ["shop/web-a@10.244.0.5:8080"], "first port");
    assert.deepEqual(addresses(serviceEndpoints(store, NS, "web", "metrics")), ["shop/web-a@10.244.0.5:9090"]);
    assert.deepEqual(addresses(serviceEndpoints(store, NS, "web", 9000)), ["shop/web-a@10.244.0.5:9090"]);
    assert.deepEqual(serviceEndpoints(store, NS, "web", 1234), [], "not a port of the Service");
  });

  test("an unnamed Service port matches the slice's unnamed port; FQDN slices and IPv6 addresses", () => {
    const store = new Store();
    store.create(R.services, NS, aService("web", [{ port: 80, targetPort: 8080 }]));
    store.create(
      R.endpointslices,
      NS,
      aSlice("web-v6", "web", [{ port: 8080 }], [{ ip: "fd00:10:244::5", pod: "web-a", ready: true }], "IPv6"),
    );
    store.create(
      R.endpointslices,
      NS,
      aSlice("web-fqdn", "web", [{ port: 8080 }], [{ ip: "web.example.com", ready: true }], "FQDN"),
    );
    assert.deepEqual(addresses(serviceEndpoints(store, NS, "web")), ["shop/web-a@fd00:10:244::5:8080"]);
  });

  test("slices take precedence over host ports; without slices the sandbox's host ports serve", () => {
    const store = new Store();
    store.create(R.services, NS, aService("web", [{ name: "http", port: 80, targetPort: "http" }]));
    store.create(R.pods, NS, aPod("web-a", "web", { podIP: "127.0.0.1", hostPorts: { 8080: 41000 } }));
    assert.deepEqual(addresses(serviceEndpoints(store, NS, "web")), ["shop/web-a@127.0.0.1:41000"], "sandbox");
    store.create(
      R.endpointslices,
      NS,
      aSlice("web-1", "web", [{ name: "http", port: 8080 }], [{ ip: "10.244.0.5", pod: "web-a", ready: false }]),
    );
    // A Service whose slices list no ready endpoint has none, whatever the pods' annotations say.
    assert.deepEqual(serviceEndpoints(store, NS, "web"), []);
  });

  test("the traffic state follows EndpointSlice changes", () => {
    const store = new Store();
    store.create(R.services, NS, aService("web", [{ name: "http", port: 80, targetPort: "http" }]));
    const state = new TrafficState(store);
    let changes = 0;
    state.onChange(() => changes++);
    const backend = { namespace: NS, service: "web", port: 80 };
    assert.deepEqual(state.endpoints(backend), []);
    store.create(
      R.endpointslices,
      NS,
      aSlice("web-1", "web", [{ name: "http", port: 8080 }], [{ ip: "10.244.0.5", pod: "web-a", ready: true }]),
    );
    assert.equal(changes, 1);
    assert.deepEqual(addresses(state.endpoints(backend)), ["shop/web-a@10.244.0.5:8080"]);
    store.mutate(
      R.endpointslices,
      NS,
      "web-1",
      (s) => ((s.endpoints as { conditions: { ready: boolean } }[])[0].conditions.ready = false),
    );
    assert.deepEqual(state.endpoints(backend), []);
    state.close();
  });
});

describe("reaching pods on a real cluster", () => {
  test("nginx upstreams and pod names use the endpoints' addresses (IPv6 in brackets)", () => {
    const table = buildRouteTable({
      ingresses: [
        { ...anIngress("web", { host: "shop.test", service: "web" }), metadata: { name: "web", namespace: NS } },
      ],
      virtualServices: [],
      httpRoutes: [],
    });
    const conf = renderNginxConfig(
      {
        table,
        endpoints: () => [
          { host: "10.244.0.5", port: 8080, name: "shop/web-a" },
          { host: "fd00::6", port: 8080, name: "shop/web-b" },
        ],
        port: 18080,
        workDir: "/tmp/w",
        runAsRoot: false,
      },
      1,
    );
    assert.match(conf, /upstream sbx_u0 \{\n {4}server 10\.244\.0\.5:8080;\n {4}server \[fd00::6\]:8080;/);
    assert.match(conf, / {4}"10\.244\.0\.5:8080" "shop\/web-a";/);
    assert.match(conf, / {4}"\[fd00::6\]:8080" "shop\/web-b";/);
  });

  test("Prometheus targets: pod IP and container port on a real cluster, host port on the sandbox", () => {
    const real = aPod("web-a", "web", { podIP: "10.244.0.5" });
    const annotated = {
      ...aPod("web-b", "web", { podIP: "10.244.0.6" }),
      metadata: { ...aPod("web-b", "web").metadata, annotations: { "prometheus.io/port": "metrics" } },
    };
    const sandbox = aPod("web-c", "web", { podIP: "127.0.0.1", hostPorts: { 8080: 41000, 9090: 41001 } });
    const noIP = aPod("web-d", "web");
    const groups = targetGroups(
      [real, annotated, sandbox, noIP].map((p) => ({ ...p, metadata: { ...p.metadata, namespace: NS } })),
    );
    assert.deepEqual(
      groups.map((g) => `${g.labels.pod} ${g.targets[0]}`),
      ["web-a 10.244.0.5:8080", "web-b 10.244.0.6:9090", "web-c 127.0.0.1:41000"],
    );
    assert.deepEqual(podAddress(real, "metrics"), { host: "10.244.0.5", port: 9090 });
    assert.equal(podAddress(real, "nope"), undefined, "an unknown port name");
    assert.deepEqual(podAddress(sandbox, 9090), { host: "127.0.0.1", port: 41001 });
  });
});
