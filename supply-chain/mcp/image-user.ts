import { constants } from "node:fs";
import { lstat, open } from "node:fs/promises";
import { join } from "node:path";
import { McpServerError } from "./errors.ts";
import type { ContainerUser } from "./oci-config.ts";

/**
 * The user an image's config names (`User`: `uid`, `uid:gid`, `name`, `name:group`, empty for
 * root), resolved as a container engine does: names from the image's own `/etc/passwd` and
 * `/etc/group`, a uid without a group gets the user's primary group (or its own number). The
 * files are read only when they are plain files under a plain `/etc` of the unpacked root: a
 * symlink there could name a host file.
 */

const MAX_DB_BYTES = 1024 * 1024;

export interface ResolvedUser extends ContainerUser {
  /** The user's home directory in the image, when its passwd entry names one. */
  home?: string;
}

/**
 * @throws McpServerError MCP_SERVER_FAILED when a name is not found in the image's databases
 */
export async function resolveImageUser(
  rootfs: string,
  user: string | undefined,
): Promise<ResolvedUser> {
  const [who = "", group] = (user ?? "").split(":", 2);
  const passwd = await readDatabase(rootfs, "passwd");
  const entry = (key: string) =>
    passwd.find((f) => (/^\d+$/.test(key) ? f[2] === key : f[0] === key));
  const named = entry(who === "" ? "0" : who);
  let uid: number;
  if (who === "") uid = 0;
  else if (/^\d+$/.test(who)) uid = Number(who);
  else if (named !== undefined) uid = Number(named[2]);
  else throw unknown("user", who);
  let gid: number;
  if (group !== undefined && /^\d+$/.test(group)) gid = Number(group);
  else if (group !== undefined) {
    const groups = await readDatabase(rootfs, "group");
    const g = groups.find((f) => f[0] === group);
    if (g === undefined) throw unknown("group", group);
    gid = Number(g[2]);
  } else gid = named?.[3] !== undefined && /^\d+$/.test(named[3]) ? Number(named[3]) : uid;
  const home = named?.[5];
  return { uid, gid, ...(home ? { home } : {}) };
}

function unknown(what: string, name: string): McpServerError {
  return new McpServerError(
    "MCP_SERVER_FAILED",
    `the image's config names ${what} ${JSON.stringify(name)}, which its /etc/${what === "user" ? "passwd" : "group"} does not list`,
  );
}

/** The colon-separated lines of `/etc/<name>` in the image; none when it is absent or not plain. */
async function readDatabase(rootfs: string, name: string): Promise<string[][]> {
  const etc = await lstat(join(rootfs, "etc")).catch(() => undefined);
  if (etc === undefined || !etc.isDirectory()) return [];
  let text: string;
  try {
    const fh = await open(join(rootfs, "etc", name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_DB_BYTES) return [];
      text = await fh.readFile("utf8");
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.split(":"));
}
