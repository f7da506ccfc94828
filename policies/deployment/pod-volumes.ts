import type { DeclaredCredential, DeclaredPermissions } from "../evaluation/predicate.ts";
import type { EnvVar, Volume, VolumeMount } from "./kubernetes-objects.ts";
import { dnsLabel, envName, uniqueName } from "./kubernetes-names.ts";

/**
 * The volumes of a server's pod: emptyDirs for /tmp and the declared writable paths (the root
 * filesystem is read-only), and what hands the declared credentials over.
 */

const TMP_VOLUME = "tmp";

/** Lifetime of a projected workload-identity token; the kubelet refreshes it before it expires. */
export const TOKEN_EXPIRATION_SECONDS = 3600;

const TOKEN_DIR = "/var/run/secrets/tokens";

/** `path` without repeated or trailing slashes (`/` stays `/`). */
export function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+/g, "/").replace(/\/$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** What the pod mounts and the container reads from its environment for what the server declares. */
export interface PodVolumes {
  volumes: Volume[];
  mounts: VolumeMount[];
  env: EnvVar[];
  /** Keys the Secret named after the server must hold; the Secret is not generated. */
  staticKeys: string[];
}

/**
 * The filesystem volumes, then the credentials' (static ones from the Secret `secretName`,
 * workload-identity tokens for `audience`), with volume names distinct across both.
 */
export function podVolumes(
  permissions: DeclaredPermissions | undefined,
  secretName: string,
  audience: string,
): PodVolumes {
  const used = new Set<string>([TMP_VOLUME]);
  const fs = filesystemVolumes(permissions, used);
  const creds = credentialVolumes(permissions?.credentials ?? [], secretName, audience, used);
  return {
    volumes: [...fs.volumes, ...creds.volumes],
    mounts: [...fs.mounts, ...creds.mounts],
    env: creds.env,
    staticKeys: creds.staticKeys,
  };
}

/** An emptyDir for /tmp and for each declared read-write path. */
function filesystemVolumes(
  permissions: DeclaredPermissions | undefined,
  used: Set<string>,
): { volumes: Volume[]; mounts: VolumeMount[] } {
  const paths = new Set<string>(["/tmp"]);
  for (const fs of permissions?.filesystem ?? [])
    if (fs.access === "read-write") paths.add(normalisePath(fs.path));
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  for (const path of paths) {
    const name = path === "/tmp" ? TMP_VOLUME : uniqueName(`fs-${path}`, used);
    used.add(name);
    volumes.push({ name, emptyDir: {} });
    mounts.push({ name, mountPath: path });
  }
  return { volumes, mounts };
}

/**
 * Static credentials from the Secret `name`, by the variable they are named as; workload identity
 * as a projected service-account token for `audience`, its path in `<NAME>_FILE`. OAuth is
 * obtained per user at run time: nothing to provision.
 */
function credentialVolumes(
  declared: readonly DeclaredCredential[],
  name: string,
  audience: string,
  usedVolumes: Set<string>,
): PodVolumes {
  const out: PodVolumes = { env: [], volumes: [], mounts: [], staticKeys: [] };
  for (const c of declared) {
    if (c.kind === "static") {
      // The Secret is not generated: its value must never pass through a release workflow.
      const variable = envName(c.name);
      out.env.push({ name: variable, valueFrom: { secretKeyRef: { name, key: variable } } });
      out.staticKeys.push(variable);
    } else if (c.kind === "workload-identity") {
      const volume = uniqueName(`token-${dnsLabel(c.name, "credential")}`, usedVolumes);
      const dir = `${TOKEN_DIR}/${volume}`;
      out.volumes.push({
        name: volume,
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience,
                expirationSeconds: TOKEN_EXPIRATION_SECONDS,
                path: "token",
              },
            },
          ],
        },
      });
      out.mounts.push({ name: volume, mountPath: dir, readOnly: true });
      out.env.push({ name: `${envName(c.name)}_FILE`, value: `${dir}/token` });
    }
  }
  return out;
}
