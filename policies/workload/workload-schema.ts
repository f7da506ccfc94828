/**
 * JSON Schema for the parts of a pod spec the rules read. Kubernetes allows many more fields;
 * those pass through untouched. A value of the wrong type here (a `containers` that is a string)
 * makes the object impossible to judge, so it is rejected rather than guessed at.
 */
const str = { type: "string" } as const;
const bool = { type: "boolean" } as const;
const int = { type: "integer" } as const;
const strMap = { type: "object", additionalProperties: { type: "string" } } as const;
const quantityMap = {
  type: "object",
  additionalProperties: { type: ["string", "number"] },
} as const;
const intOrString = { type: ["integer", "string"] } as const;

const seLinuxOptions = {
  type: "object",
  properties: { user: str, role: str, type: str, level: str },
} as const;
const profile = { type: "object", properties: { type: str, localhostProfile: str } } as const;
const windowsOptions = { type: "object", properties: { hostProcess: bool } } as const;

const handler = {
  type: "object",
  properties: {
    httpGet: { type: "object", properties: { host: str, port: intOrString, path: str } },
    tcpSocket: { type: "object", properties: { host: str, port: intOrString } },
  },
} as const;

const container = {
  type: "object",
  properties: {
    name: str,
    image: str,
    command: { type: "array", items: str },
    args: { type: "array", items: str },
    volumeMounts: {
      type: "array",
      items: { type: "object", properties: { name: str, mountPath: str, readOnly: bool } },
    },
    securityContext: {
      type: "object",
      properties: {
        privileged: bool,
        allowPrivilegeEscalation: bool,
        capabilities: {
          type: "object",
          properties: {
            add: { type: "array", items: str },
            drop: { type: "array", items: str },
          },
        },
        runAsNonRoot: bool,
        runAsUser: int,
        readOnlyRootFilesystem: bool,
        procMount: str,
        seLinuxOptions,
        seccompProfile: profile,
        appArmorProfile: profile,
        windowsOptions,
      },
    },
    restartPolicy: str,
    ports: {
      type: "array",
      items: {
        type: "object",
        properties: { containerPort: int, hostPort: int, protocol: str },
      },
    },
    env: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: str,
          value: str,
          valueFrom: {
            type: "object",
            properties: {
              secretKeyRef: { type: "object", properties: { name: str, key: str } },
              configMapKeyRef: { type: "object", properties: { name: str, key: str } },
            },
          },
        },
      },
    },
    envFrom: {
      type: "array",
      items: {
        type: "object",
        properties: {
          prefix: str,
          secretRef: { type: "object", properties: { name: str } },
          configMapRef: { type: "object", properties: { name: str } },
        },
      },
    },
    resources: {
      type: "object",
      properties: { limits: quantityMap, requests: quantityMap },
    },
    livenessProbe: handler,
    readinessProbe: handler,
    startupProbe: handler,
    lifecycle: { type: "object", properties: { postStart: handler, preStop: handler } },
  },
} as const;

const containers = { type: "array", items: container } as const;

export const podSpecSchema = {
  type: "object",
  properties: {
    containers,
    initContainers: containers,
    ephemeralContainers: containers,
    volumes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: str,
          persistentVolumeClaim: { type: "object", properties: { claimName: str } },
          image: { type: "object", properties: { reference: str, pullPolicy: str } },
        },
      },
    },
    securityContext: {
      type: "object",
      properties: {
        runAsNonRoot: bool,
        runAsUser: int,
        seLinuxOptions,
        seccompProfile: profile,
        appArmorProfile: profile,
        windowsOptions,
        sysctls: {
          type: "array",
          items: { type: "object", properties: { name: str, value: str } },
        },
      },
    },
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    hostUsers: bool,
    os: { type: "object", properties: { name: str } },
    automountServiceAccountToken: bool,
    serviceAccountName: str,
    serviceAccount: str,
    imagePullSecrets: { type: "array", items: { type: "object", properties: { name: str } } },
  },
} as const;

export const objectMetaSchema = {
  type: "object",
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    labels: strMap,
    annotations: strMap,
  },
} as const;
