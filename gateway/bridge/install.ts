import { chmod, copyFile, rename, rm } from "node:fs/promises";
import { isSea } from "node:sea";
import { BridgeError } from "./bridge.ts";

/**
 * `bridge --install FILE`: the self-contained executable copies itself to FILE (mode 0555). The
 * generated pods run this in an init container from the signed mcp-warden image, filling the
 * emptyDir the server container mounts read-only; so the bridge needs no `cp` or shell in the
 * mcp-warden image. Written beside FILE and renamed into place.
 * @throws BridgeError NOT_SELF_CONTAINED when run as `mcp-warden bridge` (Node and a script, not
 *   one file that could be copied)
 */
export async function installSelf(file: string): Promise<void> {
  if (!isSea())
    throw new BridgeError(
      "NOT_SELF_CONTAINED",
      "--install copies the self-contained bridge executable (scripts/build-bridge.sh); mcp-warden bridge runs on Node and cannot copy itself",
    );
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await copyFile(process.execPath, temp);
    await chmod(temp, 0o555);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}
