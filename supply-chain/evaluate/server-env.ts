import type { StdioCommand } from "../../policies/evaluation/server-manifest.ts";

/** What an environment variable may be named: what `--server-env` and `server-env` take. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Named variables of this process's environment, each with its value or `undefined` when unset. */
export type ServerEnv = readonly { name: string; value: string | undefined }[];

/**
 * The variables `names` lists, read from `env` (this process's environment, gathered at the edge);
 * names that are not variable names are returned as `invalid` for the edge to report.
 */
export function serverEnvFrom(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { serverEnv: ServerEnv; invalid: string[] } {
  const invalid = names.filter((n) => !ENV_NAME.test(n));
  const valid = [...new Set(names.filter((n) => ENV_NAME.test(n)))];
  return { serverEnv: valid.map((name) => ({ name, value: env[name] })), invalid };
}

/**
 * The server's command with the named variables of this process's environment added (the
 * manifest's own env wins: it is what was declared), and what a reader must be told: which were
 * passed and which were unset, by name only.
 */
export function withServerEnv(
  stdio: StdioCommand,
  serverEnv: ServerEnv,
): { stdio: StdioCommand; notices: string[] } {
  const passed: Record<string, string> = {};
  for (const { name, value } of serverEnv) if (value !== undefined) passed[name] = value;
  const names = Object.keys(passed);
  const unset = serverEnv.filter((v) => v.value === undefined).map((v) => v.name);
  const notices = [
    ...(names.length > 0
      ? [
          `the server was started with ${names.join(", ")} from this process's environment (--server-env)`,
        ]
      : []),
    ...(unset.length > 0
      ? [
          `--server-env ${unset.join(", ")}: not set in this process's environment, not passed to the server`,
        ]
      : []),
  ];
  return { stdio: { ...stdio, env: { ...passed, ...stdio.env } }, notices };
}
