import { WardenError } from "../../policies/errors.ts";
import type { ServerDefinitions } from "../../policies/evaluation/server-definitions.ts";
import type { ServerManifest } from "../../policies/evaluation/server-manifest.ts";
import type { ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import type { ImageRuntimeName } from "../mcp/image-runtime.ts";
import { listImageTools, type ImageSource } from "../mcp/image-tools.ts";
import { listServerTools } from "../mcp/live-tools.ts";

/**
 * Where the tools of a release are listed from. With its image at hand, from the image itself:
 * its own entrypoint run under a container runtime (`mcp/image-tools.ts`), so what is pinned is
 * what the cluster will run. Without one, or when no runtime can run it, from a fresh install of
 * the package the manifest names (its stdio command), and the evaluation records that it was so.
 */

/** `image`: the image's own entrypoint; `package`: the manifest's stdio command; `earlier-run`: a listing given in. */
export type ToolSource = "image" | "package" | "earlier-run";

export interface NoticeLike {
  level: "warning" | "error";
  message: string;
  file?: string;
}

export interface ToolListing {
  tools: ToolDefinition[];
  definitions: ServerDefinitions;
  source: Exclude<ToolSource, "earlier-run">;
  /** The runtime that ran the image, when listed from it. */
  runtime?: ImageRuntimeName;
}

/**
 * Lists the release's tools, from the image when one is given, else (or when that fails) from the
 * package. What went wrong is pushed to `notices`; `skipped` says why nothing was listed.
 */
export async function listReleaseTools(
  manifest: ServerManifest,
  manifestFile: string,
  opts: { image?: ImageSource; timeoutMs: number; signal?: AbortSignal },
  notices: NoticeLike[],
): Promise<{ listing: ToolListing } | { skipped: string }> {
  const call = { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) };
  let imageFailure: string | undefined;
  if (opts.image !== undefined) {
    try {
      const listed = await listImageTools(opts.image, { ...call, env: manifest.stdio?.env ?? {} });
      return {
        listing: {
          tools: listed.tools,
          definitions: listed.definitions,
          source: "image",
          runtime: listed.runtime,
        },
      };
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      imageFailure = e.message;
    }
  }
  if (manifest.stdio === undefined) {
    const skipped =
      imageFailure === undefined
        ? 'the manifest gives no stdio command (a stdio package or _meta["dev.mcp-warden/stdio"]), so the running server\'s tools could not be listed'
        : `the tools could not be listed from the image, and the manifest gives no stdio command to list them from the package: ${imageFailure}`;
    if (imageFailure !== undefined)
      notices.push({ level: "warning", message: skipped, file: manifestFile });
    return { skipped };
  }
  if (imageFailure !== undefined)
    notices.push({
      level: "warning",
      message: `the tools could not be listed from the image, so they were listed from the package the manifest names instead (not what the image runs): ${imageFailure}`,
      file: manifestFile,
    });
  try {
    const listed = await listServerTools(manifest.stdio, call);
    if (!listed.isolation.namespaces)
      notices.push({
        level: "warning",
        message: `the server ran without namespaces of its own (${listed.isolation.reason ?? "unavailable"}): it could read this process's environment through /proc`,
        file: manifestFile,
      });
    return {
      listing: { tools: listed.tools, definitions: listed.definitions, source: "package" },
    };
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    const skipped = `the server could not be listed: ${e.message}`;
    notices.push({ level: "warning", message: skipped, file: manifestFile });
    return { skipped };
  }
}
