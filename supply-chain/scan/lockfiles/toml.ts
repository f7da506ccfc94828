import { TomlError, parse } from "smol-toml";
import { invalid } from "./common.ts";

/** Parses TOML, turning syntax errors into a `LOCKFILE_INVALID` naming the line. */
export function parseToml(file: string, text: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    const message = e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
    const path = e instanceof TomlError ? `${file}:${e.line}` : file;
    throw invalid(file, "not valid TOML", [{ path, message }]);
  }
}
