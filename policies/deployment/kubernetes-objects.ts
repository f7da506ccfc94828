import type {
  LabelSelector,
  Labels,
  NetworkPolicyPeer,
  ObjectMeta,
  SeccompProfile,
} from "../workload/k8s-types.ts";

/**
 * The Kubernetes objects the Action generates, typed as they are written: the fields the
 * generator sets, required where it always sets them. (`policies/workload/k8s-types.ts` types what the rules
 * read from any object, so everything there is optional.)
 */

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; labels: Labels };
}

export interface ServiceAccount extends KubernetesObject {
  apiVersion: "v1";
  kind: "ServiceAccount";
  automountServiceAccountToken: false;
}

export interface PortRule {
  port: number;
  protocol: "TCP" | "UDP";
}

export interface IngressRule {
  from: NetworkPolicyPeer[];
  ports: PortRule[];
}

export interface EgressRule {
  to: NetworkPolicyPeer[];
  /** Absent: every port of those destinations. */
  ports?: PortRule[];
}

export interface NetworkPolicy extends KubernetesObject {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  spec: {
    podSelector: LabelSelector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress: IngressRule[];
    egress: EgressRule[];
  };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

export interface ProjectedTokenSource {
  serviceAccountToken: { audience: string; expirationSeconds: number; path: string };
}

export interface Volume {
  name: string;
  emptyDir?: Record<string, never>;
  projected?: { sources: ProjectedTokenSource[] };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface ContainerPort {
  name: string;
  containerPort: number;
  protocol: "TCP";
}

export interface Resources {
  cpu: string;
  memory: string;
}

export interface Container {
  name: string;
  image: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  resources: { limits: Resources; requests: Resources };
  securityContext: {
    allowPrivilegeEscalation: false;
    capabilities: { drop: ["ALL"] };
    privileged: false;
    readOnlyRootFilesystem: true;
    runAsNonRoot: true;
    seccompProfile: SeccompProfile;
  };
  volumeMounts: VolumeMount[];
}

export interface Deployment extends KubernetesObject {
  apiVersion: "apps/v1";
  kind: "Deployment";
  spec: {
    replicas: number;
    selector: LabelSelector;
    template: {
      metadata: { labels: Labels; annotations: Record<string, string> };
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken: false;
        securityContext: {
          runAsNonRoot: true;
          runAsUser: number;
          runAsGroup: number;
          seccompProfile: SeccompProfile;
        };
        containers: Container[];
        volumes: Volume[];
      };
    };
  };
}
