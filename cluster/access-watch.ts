import {
  CustomObjectsApi,
  makeInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { errorMessage } from "../policies/errors.ts";
import { parseAccess, type Access } from "../policies/runtime/access.ts";

const GROUP = "mcp-warden.dev";
const VERSION = "v1alpha1";
const PLURAL = "mcpwardenaccesses";
const RESTART_MS = 1000;

/**
 * MCPWardenAccess objects from the API server: list+watch, read-only, in the admin namespaces only
 * (grants anywhere else are never honoured, so they are not even read). An object that does not
 * validate is left out and reported through `onInvalid`.
 */
export class AccessWatch {
  private readonly informers: ReturnType<typeof makeInformer<KubernetesObject>>[] = [];
  private readonly synced = new Set<string>();
  private current: Access[] = [];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly events: {
    onInvalid: (name: string, reason: string) => void;
    onError: (namespace: string, err: unknown) => void;
  };

  constructor(
    kc: KubeConfig,
    namespaces: readonly string[],
    events: {
      onInvalid: (name: string, reason: string) => void;
      onError: (namespace: string, err: unknown) => void;
    },
  ) {
    this.events = events;
    const api = kc.makeApiClient(CustomObjectsApi);
    for (const namespace of namespaces) {
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`;
      const informer = makeInformer<KubernetesObject>(kc, path, async () => {
        const list = (await api.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
        })) as KubernetesListObject<KubernetesObject>;
        this.synced.add(namespace);
        return list;
      });
      for (const event of ["add", "update", "delete"] as const)
        informer.on(event, () => this.rebuild());
      informer.on("error", (err: unknown) => {
        this.events.onError(namespace, err);
        if (this.stopped) return;
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.stopped)
            informer.start().catch((e: unknown) => this.events.onError(namespace, e));
        }, RESTART_MS);
        this.timers.add(t);
      });
      this.informers.push(informer);
    }
    this.namespaces = namespaces;
  }

  private readonly namespaces: readonly string[];

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.rebuild();
  }

  get ready(): boolean {
    return this.namespaces.every((n) => this.synced.has(n));
  }

  grants(): readonly Access[] {
    return this.current;
  }

  private rebuild(): void {
    const out: Access[] = [];
    for (const informer of this.informers) {
      for (const o of informer.list()) {
        try {
          out.push(parseAccess(o));
        } catch (err) {
          this.events.onInvalid(
            `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`,
            errorMessage(err),
          );
        }
      }
    }
    this.current = out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
