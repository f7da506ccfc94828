/**
 * Kubernetes' `$(VAR)` expansion, as the kubelet applies it to env values (against the variables
 * defined before them) and to command and args (against the container's whole environment):
 * `$(NAME)` becomes NAME's value when NAME is defined and stays as written when it is not, `$$`
 * is one `$` (so `$$(NAME)` is the text `$(NAME)`), and any other `$` is kept.
 */

export interface Expansion {
  value: string;
  /** The variables whose values were put in, in order of first use. */
  used: string[];
}

export function expandEnvReferences(
  input: string,
  lookup: (name: string) => string | undefined,
): Expansion {
  if (!input.includes("$")) return { value: input, used: [] };
  let out = "";
  const used: string[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== "$" || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== "(") {
      out += `$${next}`;
      i += 2;
      continue;
    }
    const close = input.indexOf(")", i + 2);
    if (close < 0) {
      // An unclosed reference is kept as written.
      out += "$(";
      i += 2;
      continue;
    }
    const name = input.slice(i + 2, close);
    const value = name === "" ? undefined : lookup(name);
    if (value === undefined) out += `$(${name})`;
    else {
      out += value;
      if (!used.includes(name)) used.push(name);
    }
    i = close + 1;
  }
  return { value: out, used };
}
