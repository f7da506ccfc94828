import fc from "fast-check";
import { hostileString } from "./fuzz-json.ts";

/** Kubernetes objects generated from their shapes: valid often, odd in every field. */

const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const name = fc.oneof({ weight: 4, arbitrary: dnsLabel }, { weight: 1, arbitrary: hostileString });

const image = fc.oneof(
  fc.constantFrom(
    `ghcr.io/acme/mcp@sha256:${"a".repeat(64)}`,
    "nginx:1.27",
    "nginx",
    "localhost:5000/team/srv:v1",
    `registry.example.com:443/a/b/c:tag@sha256:${"b".repeat(64)}`,
    "UPPER/case",
    "docker.io/library/busybox@sha256:short",
  ),
  fc
    .tuple(dnsLabel, dnsLabel, fc.option(dnsLabel), fc.option(fc.stringMatching(/^[0-9a-f]{64}$/)))
    .map(
      ([host, repo, tag, digest]) =>
        `${host}.example/${repo}${tag ? `:${tag}` : ""}${digest ? `@sha256:${digest}` : ""}`,
    ),
  hostileString,
);

const labels = fc.dictionary(
  fc.oneof(dnsLabel, fc.constantFrom("app", "app.kubernetes.io/name", "mcp-warden.dev/server")),
  fc.oneof(dnsLabel, hostileString),
  { maxKeys: 4 },
);

const annotations = fc.dictionary(
  fc.oneof(
    dnsLabel,
    fc.constantFrom(
      "mcp-warden.dev/exceptions",
      "mcp-warden.dev/exception",
      "container.apparmor.security.beta.kubernetes.io/server",
    ),
  ),
  fc.oneof(dnsLabel, hostileString, fc.constantFrom("a,b", "runtime/default", "unconfined")),
  { maxKeys: 3 },
);

const quantity = fc.oneof(
  fc.constantFrom("500m", "1", "128Mi", "1Gi", "0", "1e3", "-1", "1.5", "99999999999999999999Ei"),
  hostileString,
);

const securityContext = fc.record(
  {
    runAsNonRoot: fc.boolean(),
    runAsUser: fc.oneof(fc.constantFrom(0, 1000, 65534, -1), fc.integer()),
    privileged: fc.boolean(),
    allowPrivilegeEscalation: fc.boolean(),
    readOnlyRootFilesystem: fc.boolean(),
    capabilities: fc.record(
      {
        add: fc.array(fc.constantFrom("NET_ADMIN", "SYS_ADMIN", "ALL", "CHOWN", "net_raw"), {
          maxLength: 3,
        }),
        drop: fc.array(fc.constantFrom("ALL", "all", "NET_RAW"), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    seccompProfile: fc.record({
      type: fc.constantFrom("RuntimeDefault", "Unconfined", "Localhost"),
    }),
    procMount: fc.constantFrom("Default", "Unmasked"),
  },
  { requiredKeys: [] },
);

const envVar = fc.oneof(
  fc.record({
    name: name,
    value: fc.oneof(hostileString, fc.constantFrom("AKIAIOSFODNN7EXAMPLE")),
  }),
  fc.record({
    name: name,
    valueFrom: fc.oneof(
      fc.record({ secretKeyRef: fc.record({ name: name, key: name }) }),
      fc.record({ configMapKeyRef: fc.record({ name: name, key: name }) }),
      fc.record({
        fieldRef: fc.record({ fieldPath: fc.constantFrom("metadata.name", "spec.nodeName") }),
      }),
    ),
  }),
);

const container = fc.record(
  {
    name: name,
    image: image,
    command: fc.array(hostileString, { maxLength: 3 }),
    args: fc.array(hostileString, { maxLength: 3 }),
    env: fc.array(envVar, { maxLength: 3 }),
    envFrom: fc.array(
      fc.oneof(
        fc.record({ secretRef: fc.record({ name: name }) }),
        fc.record({ configMapRef: fc.record({ name: name }) }),
      ),
      { maxLength: 2 },
    ),
    ports: fc.array(
      fc.record(
        {
          containerPort: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer()),
          hostPort: fc.integer({ min: 0, max: 65535 }),
          protocol: fc.constantFrom("TCP", "UDP", "SCTP"),
        },
        { requiredKeys: ["containerPort"] },
      ),
      { maxLength: 2 },
    ),
    resources: fc.record(
      {
        limits: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
        requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    securityContext: securityContext,
    volumeMounts: fc.array(
      fc.record({ name: name, mountPath: fc.constantFrom("/data", "/", "/var/run/docker.sock") }),
      {
        maxLength: 2,
      },
    ),
    imagePullPolicy: fc.constantFrom("Always", "IfNotPresent", "Never"),
  },
  { requiredKeys: ["name", "image"] },
);

const volume = fc.oneof(
  fc.record({ name: name, emptyDir: fc.constant({}) }),
  fc.record({
    name: name,
    hostPath: fc.record({ path: fc.constantFrom("/", "/var/run/docker.sock", "/etc") }),
  }),
  fc.record({ name: name, secret: fc.record({ secretName: name }) }),
  fc.record({ name: name, configMap: fc.record({ name: name }) }),
  fc.record({
    name: name,
    projected: fc.record({ sources: fc.constant([{ serviceAccountToken: { path: "t" } }]) }),
  }),
);

export const podSpec = fc.record(
  {
    containers: fc.array(container, { minLength: 1, maxLength: 3 }),
    initContainers: fc.array(container, { maxLength: 1 }),
    ephemeralContainers: fc.array(container, { maxLength: 1 }),
    volumes: fc.array(volume, { maxLength: 3 }),
    securityContext: securityContext,
    hostNetwork: fc.boolean(),
    hostPID: fc.boolean(),
    hostIPC: fc.boolean(),
    serviceAccountName: name,
    automountServiceAccountToken: fc.boolean(),
    imagePullSecrets: fc.array(fc.record({ name: name }), { maxLength: 2 }),
    runtimeClassName: fc.constantFrom("gvisor", "kata", "runc"),
    nodeName: name,
  },
  { requiredKeys: ["containers"] },
);

export const WORKLOAD_TEMPLATE: Record<string, { apiVersion: string; path: string[] }> = {
  Pod: { apiVersion: "v1", path: [] },
  Deployment: { apiVersion: "apps/v1", path: ["spec", "template"] },
  ReplicaSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  StatefulSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  DaemonSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  Job: { apiVersion: "batch/v1", path: ["spec", "template"] },
  CronJob: { apiVersion: "batch/v1", path: ["spec", "jobTemplate", "spec", "template"] },
  ReplicationController: { apiVersion: "v1", path: ["spec", "template"] },
};

const metadata = fc.record(
  { name: name, namespace: name, labels: labels, annotations: annotations },
  { requiredKeys: ["name"] },
);

/** A workload of one of the judged kinds around a generated pod spec. */
export const workload = fc
  .tuple(fc.constantFrom(...Object.keys(WORKLOAD_TEMPLATE)), metadata, metadata, podSpec)
  .map(([kind, meta, podMeta, spec]) => {
    const { apiVersion, path } = WORKLOAD_TEMPLATE[kind]!;
    let inner: Record<string, unknown> =
      path.length === 0 ? { metadata: meta, spec } : { metadata: podMeta, spec };
    for (let i = path.length - 1; i > 0; i--) inner = { [path[i]!]: inner };
    return path.length === 0
      ? { apiVersion, kind, ...inner }
      : { apiVersion, kind, metadata: meta, [path[0]!]: inner };
  });
