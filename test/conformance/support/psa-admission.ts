/**
 * Asks a real API server's Pod Security Admission for its verdict on a pod: a server-side
 * dry-run create in a namespace that enforces the restricted profile, and the check names of its
 * "violates PodSecurity" message mapped to the pod-security/* rule ids.
 */
import { Agent, request } from "node:https";
import type { TestCluster } from "../../e2e/support/cluster.ts";

/** Pod Security Admission's forbidden reasons (policy/check_*.go) → the rule that judges each. */
export const RULE_FOR_REASON: Record<string, string> = {
  "allowPrivilegeEscalation != false": "pod-security/allow-privilege-escalation",
  "forbidden AppArmor profile": "pod-security/apparmor-profile",
  "forbidden AppArmor profiles": "pod-security/apparmor-profile",
  "forbidden sysctls": "pod-security/sysctls",
  "host namespaces": "pod-security/host-namespaces",
  "hostPath volumes": "pod-security/host-path-volumes",
  hostPort: "pod-security/host-ports",
  hostProcess: "pod-security/windows-host-process",
  "non-default capabilities": "pod-security/capabilities",
  "unrestricted capabilities": "pod-security/capabilities",
  privileged: "pod-security/privileged",
  "probe or lifecycle host": "pod-security/host-probes-and-lifecycle",
  procMount: "pod-security/proc-mount",
  "restricted volume types": "pod-security/restricted-volumes",
  "runAsNonRoot != true": "pod-security/run-as-non-root",
  "runAsUser=0": "pod-security/run-as-user",
  seLinuxOptions: "pod-security/selinux-options",
  seccompProfile: "pod-security/seccomp-profile",
};

export type AdmissionVerdict =
  | { kind: "allowed" }
  /** Pod Security Admission refused the pod; `rules` are its checks as rule ids, sorted. */
  | { kind: "forbidden"; rules: string[]; message: string }
  /** Refused for another reason (validation): not a Pod Security verdict. */
  | { kind: "invalid"; status: number; message: string };

const VIOLATES = /violates PodSecurity "[^"]+": (.*)$/s;

/**
 * The rule ids of a "violates PodSecurity" message: its reasons are `reason (details)` or a bare
 * `reason`, joined by ", ". Details may hold ", " too, so a reason counts only where a list item
 * starts.
 */
export function rulesOfMessage(message: string): string[] | undefined {
  const list = VIOLATES.exec(message)?.[1];
  if (list === undefined) return undefined;
  const rules = new Set<string>();
  let depth = 0;
  let start = 0;
  const items: string[] = [];
  for (let i = 0; i <= list.length; i++) {
    const ch = list[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (i === list.length || (depth === 0 && ch === "," && list[i + 1] === " ")) {
      items.push(list.slice(start, i).trim());
      start = i + 2;
    }
  }
  for (const item of items) {
    const reason = item.replace(/\s*\(.*$/s, "");
    const rule = RULE_FOR_REASON[reason];
    if (rule === undefined)
      throw new Error(`unknown Pod Security reason ${JSON.stringify(reason)}`);
    rules.add(rule);
  }
  return [...rules].sort();
}

export interface DryRunClient {
  /** Server-side dry-run create of `pod` in `namespace`. */
  judge(namespace: string, pod: Record<string, unknown>): Promise<AdmissionVerdict>;
  /** Server-side dry-run of adding ephemeral `container` to the existing pod `pod`. */
  judgeEphemeral(namespace: string, pod: string, container: unknown): Promise<AdmissionVerdict>;
  /** A plain POST of `body` to `path` (no dry-run); the status code. */
  post(path: string, body: unknown): Promise<number>;
  close(): void;
}

/** A client for `cluster` as its admin, holding at most `sockets` connections open. */
export function dryRunClient(cluster: TestCluster, sockets: number): DryRunClient {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, ca: cluster.caData });
  const send = (method: string, path: string, body: unknown, contentType = "application/json") =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = `${cluster.server}${path}`;
      const headers = {
        authorization: `Bearer ${cluster.token}`,
        "content-type": contentType,
        accept: "application/json",
      };
      const req = request(url, { method, agent, timeout: 30_000, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });

  const verdictOf = ({ status, text }: { status: number; text: string }): AdmissionVerdict => {
    if (status === 201 || status === 200) return { kind: "allowed" };
    let message = text;
    try {
      const parsed = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof parsed === "string") message = parsed;
    } catch {
      // Not a Status object; the raw body is the message.
    }
    const rules = status === 403 ? rulesOfMessage(message) : undefined;
    return rules === undefined
      ? { kind: "invalid", status, message }
      : { kind: "forbidden", rules, message };
  };

  const judge = async (namespace: string, pod: Record<string, unknown>) =>
    verdictOf(
      await send("POST", `/api/v1/namespaces/${namespace}/pods?dryRun=All`, {
        ...pod,
        metadata: { ...(pod.metadata as object), namespace },
      }),
    );

  const judgeEphemeral = async (namespace: string, pod: string, container: unknown) =>
    verdictOf(
      await send(
        "PATCH",
        `/api/v1/namespaces/${namespace}/pods/${pod}/ephemeralcontainers?dryRun=All`,
        { spec: { ephemeralContainers: [container] } },
        "application/strategic-merge-patch+json",
      ),
    );

  return {
    judge,
    judgeEphemeral,
    post: async (path, body) => (await send("POST", path, body)).status,
    close: () => agent.destroy(),
  };
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
