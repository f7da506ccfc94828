import { CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorMessage } from "../policies/errors.ts";
import { fromPullSecrets } from "../supply-chain/registry/credentials.ts";
import type { RequestCredentials } from "../supply-chain/verify/evidence.ts";
import type { ImageLookup } from "./admission.ts";

/** More than any pod names; an object listing thousands is not worth as many API calls. */
const MAX_SECRETS = 10;

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error("deadline passed"));
    signal.addEventListener("abort", () => reject(new Error("deadline passed")), { once: true });
  });
}

/**
 * The registry credentials a pod would pull with: the Secrets its `imagePullSecrets` and its
 * service account's name, read from the API server within the admission deadline. Secrets that
 * cannot be read or parsed are logged and left out — the lookup then goes without them and, for a
 * private registry, fails and denies.
 */
export function apiPullSecrets(kubeConfig: KubeConfig, logger: Logger) {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (
    lookup: ImageLookup,
    signal: AbortSignal,
  ): Promise<RequestCredentials | undefined> => {
    const { namespace } = lookup;
    const names = [...lookup.pullSecrets];
    try {
      const account = await Promise.race([
        core.readNamespacedServiceAccount({ name: lookup.serviceAccount, namespace }),
        aborted(signal),
      ]);
      for (const ref of account.imagePullSecrets ?? []) if (ref.name) names.push(ref.name);
    } catch (err) {
      logger.warn(
        {
          namespace,
          serviceAccount: lookup.serviceAccount,
          err: errorMessage(err),
        },
        "service account not readable; using the pod's own pull secrets only",
      );
    }
    const unique = [...new Set(names)].slice(0, MAX_SECRETS);
    if (unique.length === 0) return undefined;
    const secrets: V1Secret[] = [];
    for (const name of unique) {
      try {
        secrets.push(
          await Promise.race([core.readNamespacedSecret({ name, namespace }), aborted(signal)]),
        );
      } catch (err) {
        logger.warn(
          { namespace, secret: name, err: errorMessage(err) },
          "pull secret not readable",
        );
      }
    }
    const usable = secrets.flatMap((secret) => {
      try {
        fromPullSecrets([secret]);
        return [secret];
      } catch (err) {
        logger.warn(
          {
            namespace,
            secret: secret.metadata?.name,
            err: errorMessage(err),
          },
          "pull secret ignored",
        );
        return [];
      }
    });
    if (usable.length === 0) return undefined;
    // A new resourceVersion is new credentials: the cached facts of the old ones do not apply.
    const id = `${namespace}/${usable.map((s) => `${s.metadata?.name ?? ""}@${s.metadata?.resourceVersion ?? ""}`).join(",")}`;
    return { id, source: fromPullSecrets(usable) };
  };
}
