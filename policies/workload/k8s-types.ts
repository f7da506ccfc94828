/**
 * The parts of Kubernetes objects the rules read. Shapes follow the core/v1 API; every field is
 * optional because admission sees objects before defaulting. `workload-schema.ts` checks these
 * shapes before any rule reads them.
 */
export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
}

export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export interface SeccompProfile {
  type?: string;
  localhostProfile?: string;
}

export interface AppArmorProfile {
  type?: string;
  localhostProfile?: string;
}

export interface WindowsOptions {
  hostProcess?: boolean;
}

export interface Capabilities {
  add?: string[];
  drop?: string[];
}

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: Capabilities;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  seLinuxOptions?: SELinuxOptions;
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  windowsOptions?: WindowsOptions;
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seLinuxOptions?: SELinuxOptions;
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  windowsOptions?: WindowsOptions;
  sysctls?: { name?: string; value?: string }[];
}

export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface EnvVar {
  name?: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name?: string; key?: string };
    configMapKeyRef?: { name?: string; key?: string };
    [k: string]: unknown;
  };
}

export interface EnvFromSource {
  prefix?: string;
  secretRef?: { name?: string };
  configMapRef?: { name?: string };
}

export interface ResourceRequirements {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
}

export interface HandlerWithHost {
  httpGet?: { host?: string; port?: number | string; path?: string };
  tcpSocket?: { host?: string; port?: number | string };
  [k: string]: unknown;
}

export interface Lifecycle {
  postStart?: HandlerWithHost;
  preStop?: HandlerWithHost;
}

export interface VolumeMount {
  name?: string;
  mountPath?: string;
  readOnly?: boolean;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
  ports?: ContainerPort[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  resources?: ResourceRequirements;
  livenessProbe?: HandlerWithHost;
  readinessProbe?: HandlerWithHost;
  startupProbe?: HandlerWithHost;
  lifecycle?: Lifecycle;
  /** `Always` on an init container makes it a sidecar that runs beside the containers. */
  restartPolicy?: string;
}

export interface Volume {
  name?: string;
  hostPath?: unknown;
  persistentVolumeClaim?: { claimName?: string; readOnly?: boolean };
  image?: { reference?: string; pullPolicy?: string };
  [source: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  os?: { name?: string };
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  /** Deprecated: the API server copies it into serviceAccountName when that is empty. */
  serviceAccount?: string;
  imagePullSecrets?: { name?: string }[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicy {
  kind: "NetworkPolicy";
  metadata: ObjectMeta;
  spec: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: unknown[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: unknown[] }[];
  };
}
