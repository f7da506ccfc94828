import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";

export interface WatchStatus {
  resource: string;
  synced: boolean;
  failingForMs: number;
}

/** After a reconnect, a watch that stays up this long counts as healthy again. */
const HEALTHY_AFTER_MS = 2000;
const MAX_BACKOFF_MS = 30_000;

/**
 * A list+watch cache of one resource that restarts itself with backoff when the watch breaks and
 * remembers since when it has been failing, so callers can refuse to trust stale data.
 */
export class WatchedResource<T extends KubernetesObject> {
  readonly resource: string;
  private readonly informer: ListWatch<T>;
  private synced = false;
  private failingSince: number | undefined;
  private connects = 0;
  private lastFailedConnect = -1;
  private backoffMs = 250;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onChange: () => void;
  private readonly onError: (err: unknown) => void;
  private readonly now: () => Date;

  constructor(opts: {
    kubeConfig: KubeConfig;
    resource: string;
    path: string;
    list: () => Promise<KubernetesListObject<T>>;
    /** Watch only the objects this selects (`metadata.name=x`); the list must select the same. */
    fieldSelector?: string | undefined;
    onChange: () => void;
    onError: (err: unknown) => void;
    /** Stamps when the watch started failing; `status(now)` is measured against the same clock. */
    now: () => Date;
  }) {
    this.resource = opts.resource;
    this.onChange = opts.onChange;
    this.onError = opts.onError;
    this.now = opts.now;
    const list = async () => {
      const result = await opts.list();
      this.synced = true;
      this.failingSince = undefined;
      this.backoffMs = 250;
      return result;
    };
    this.informer = new ListWatch<T>(
      opts.path,
      new Watch(opts.kubeConfig),
      list,
      false,
      undefined,
      opts.fieldSelector,
    );
    this.informer.on("change", () => {
      this.failingSince = undefined;
      this.onChange();
    });
    this.informer.on("connect", () => this.connected());
    this.informer.on("error", (err: unknown) => this.failed(err));
  }

  start(): void {
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  status(now: number): WatchStatus {
    return {
      resource: this.resource,
      synced: this.synced,
      failingForMs: this.failingSince === undefined ? 0 : now - this.failingSince,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await this.informer.stop();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private connected(): void {
    const attempt = ++this.connects;
    this.later(HEALTHY_AFTER_MS, () => {
      if (this.lastFailedConnect < attempt && this.synced) this.failingSince = undefined;
    });
  }

  private failed(err: unknown): void {
    if (this.stopped) return; // stopping aborts the watch; that is not a failure
    this.lastFailedConnect = this.connects;
    this.failingSince ??= this.now().getTime();
    this.onError(err);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.later(delay, () => {
      if (!this.stopped) this.start();
    });
  }
}
