import { fieldPath } from "../../field-path.ts";
import type { ClusterState } from "../cluster-state.ts";
import { findCredential, maskSecret, type Detected } from "../credential-detect.ts";
import { expandEnvReferences } from "../env-expansion.ts";
import { yamlExample, type Finding, type RelatedLocation, type Rule } from "../rule.ts";
import { containerLabel, type ContainerRef, type Workload } from "../workload.ts";

export { detectCredential, shannonEntropy } from "../credential-detect.ts";

const NO_LITERAL_SECRETS = "credentials/no-literal-secrets";
const NO_SECRET_ENV = "credentials/no-secret-env";

function variable(name: string | undefined, index: number): string {
  return name === undefined || name === "" ? `#${index}` : name;
}

const LITERAL_ADVICE =
  "revoke it, then provide it from a mounted Secret volume or use workload identity";

/** A variable of the container's environment as the kubelet builds it, as far as it is known here. */
interface EnvEntry {
  /** Its value; undefined when it comes from a Secret, the downward API or an unknown ConfigMap. */
  value: string | undefined;
  /** Whether its own value was reported: references to it are not reported again. */
  reported: boolean;
  /** Where its value is written. */
  origin: RelatedLocation;
}

interface Scan {
  ref: ContainerRef;
  workload: Workload;
  env: Map<string, EnvEntry>;
  findings: Finding[];
}

function here(workload: Workload, path: string): RelatedLocation {
  return { kind: workload.kind, namespace: workload.namespace, name: workload.name, path };
}

/**
 * `value` with the `$(VAR)` references the kubelet would fill in from known, unreported variables.
 * A reference to a Secret (or to a variable already reported) stays a reference, which is no
 * literal.
 */
function expand(scan: Scan, value: string) {
  return expandEnvReferences(value, (name) => {
    const entry = scan.env.get(name);
    return entry && !entry.reported ? entry.value : undefined;
  });
}

/** " once $(A) is expanded", naming where the expanded variables are written; related locations. */
function expansionNote(
  scan: Scan,
  used: readonly string[],
  raw: string,
  name: string,
): { note: string; related: RelatedLocation[] } {
  // Only when the reference made the credential: a token written whole is reported as written.
  if (used.length === 0 || findCredential(name, raw) !== undefined)
    return { note: "", related: [] };
  const related = used.flatMap((n) => {
    const origin = scan.env.get(n)?.origin;
    return origin ? [origin] : [];
  });
  return { note: ` once ${used.map((n) => `$(${n})`).join(", ")} is expanded`, related };
}

function literalFinding(
  message: string,
  path: string,
  found: Detected,
  related: RelatedLocation[] = [],
): Finding {
  return {
    rule: NO_LITERAL_SECRETS,
    // The secret is never repeated whole: findings end up in logs, events and CI output.
    message: message.replace(
      "{literal}",
      () => `a literal ${found.kind} (${maskSecret(found.secret)})`,
    ),
    path,
    ...(related.length > 0 ? { related } : {}),
  };
}

/**
 * When the edge's ConfigMaps cannot be trusted (a watch down for too long), a container that reads
 * one is denied, saying why: its keys may have changed to hold a credential since.
 */
function cannotJudge(
  scan: Scan,
  cluster: ClusterState,
  what: string,
  name: string,
  path: string,
): boolean {
  const why = cluster.unavailable?.configMaps;
  if (why === undefined) return false;
  scan.findings.push({
    rule: NO_LITERAL_SECRETS,
    message: `${containerLabel(scan.ref)} ${what} reads ConfigMap ${JSON.stringify(name)}, whose keys cannot be judged for credentials now: ${why}`,
    path,
  });
  return true;
}

/** `envFrom`: each key of a known ConfigMap becomes a variable (Secrets' keys are not known here). */
function scanEnvFrom(scan: Scan, cluster: ClusterState): void {
  const { ref, workload } = scan;
  (ref.container.envFrom ?? []).forEach((source, k) => {
    const name = source.configMapRef?.name;
    if (name === undefined) return;
    const path = fieldPath(ref.path, "envFrom", k, "configMapRef");
    if (cannotJudge(scan, cluster, `envFrom[${k}]`, name, path)) return;
    const cm = cluster.configMap(workload.namespace, name);
    if (cm === undefined) return;
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      const variableName = `${source.prefix ?? ""}${key}`;
      const origin: RelatedLocation = {
        kind: "ConfigMap",
        namespace: cm.metadata.namespace,
        name: cm.metadata.name,
        path: fieldPath("data", key),
      };
      const found = findCredential(variableName, value);
      scan.env.set(variableName, { value, reported: found !== undefined, origin });
      if (found)
        scan.findings.push(
          literalFinding(
            `${containerLabel(ref)} envFrom[${k}] loads key ${JSON.stringify(key)} of ConfigMap ${JSON.stringify(name)} as ${variableName}, which holds {literal}; a ConfigMap is readable by everyone who can read the namespace's configuration, so ${LITERAL_ADVICE}`,
            path,
            found,
            [origin],
          ),
        );
    }
  });
}

/** `env`, in order: a value sees only the variables before it, as the kubelet expands it. */
function scanEnv(scan: Scan, cluster: ClusterState): void {
  const { ref, workload } = scan;
  (ref.container.env ?? []).forEach((env, j) => {
    const name = env.name ?? "";
    const label = variable(env.name, j);
    const keyRef = env.valueFrom?.configMapKeyRef;
    if (typeof env.value === "string" && env.value !== "") {
      const path = fieldPath(ref.path, "env", j, "value");
      const expanded = expand(scan, env.value);
      const found = findCredential(name, expanded.value);
      if (found) {
        const { note, related } = expansionNote(scan, expanded.used, env.value, name);
        scan.findings.push(
          literalFinding(
            `${containerLabel(ref)} env ${label} holds {literal}${note}; ${LITERAL_ADVICE}`,
            path,
            found,
            related,
          ),
        );
      }
      scan.env.set(name, {
        value: expanded.value,
        reported: found !== undefined,
        origin: here(workload, path),
      });
    } else if (keyRef?.name !== undefined && keyRef.key !== undefined) {
      const path = fieldPath(ref.path, "env", j, "valueFrom", "configMapKeyRef");
      if (cannotJudge(scan, cluster, `env ${label}`, keyRef.name, path)) {
        scan.env.set(name, { value: undefined, reported: true, origin: here(workload, path) });
        return;
      }
      const cm = cluster.configMap(workload.namespace, keyRef.name);
      const value = cm?.data?.[keyRef.key];
      const origin: RelatedLocation = {
        kind: "ConfigMap",
        namespace: workload.namespace,
        name: keyRef.name,
        path: fieldPath("data", keyRef.key),
      };
      // The key's own name speaks too: `password` read into DB_CONFIG is still a password.
      const found =
        value === undefined
          ? undefined
          : (findCredential(name, value) ?? findCredential(keyRef.key, value));
      scan.env.set(name, { value, reported: found !== undefined, origin });
      if (found)
        scan.findings.push(
          literalFinding(
            `${containerLabel(ref)} env ${label} reads key ${JSON.stringify(keyRef.key)} of ConfigMap ${JSON.stringify(keyRef.name)}, which holds {literal}; a ConfigMap is readable by everyone who can read the namespace's configuration, so ${LITERAL_ADVICE}`,
            path,
            found,
            [origin],
          ),
        );
    } else {
      // A Secret, the downward API, or nothing: no literal here.
      const path = fieldPath(ref.path, "env", j);
      scan.env.set(name, {
        value: env.valueFrom === undefined ? "" : undefined,
        reported: false,
        origin: here(workload, path),
      });
    }
  });
}

// `--flag=value`, `-flag=value` (Go), `--flag` then its value, and `NAME=value` assignments
// (`env`, `docker run -e`, a shell script's exports).
const FLAG = /^(--?[A-Za-z][A-Za-z0-9_.-]+)(?:=([\s\S]*))?$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

/** The words of a shell command line, quotes removed (enough to find flags and assignments). */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g))
    words.push(m[0].replace(/"([^"]*)"|'([^']*)'/g, "$1$2"));
  return words;
}

/** The named values in a list of words: `[name, value, index of the word holding the value]`. */
function namedValues(words: readonly string[]): [string, string, number][] {
  const out: [string, string, number][] = [];
  words.forEach((word, i) => {
    const flag = FLAG.exec(word);
    if (flag) {
      const [, name = "", value] = flag;
      if (value !== undefined) out.push([name, value, i]);
      else {
        const next = words[i + 1];
        if (next !== undefined && !next.startsWith("-")) out.push([name, next, i + 1]);
      }
      return;
    }
    const assignment = ASSIGNMENT.exec(word);
    if (assignment) out.push([assignment[1] ?? "", assignment[2] ?? "", i]);
  });
  return out;
}

/**
 * `command` and `args`, expanded against the whole environment: credentials by their shape in
 * each item, and by name after a flag or in an assignment, also inside a shell script.
 */
function scanArguments(scan: Scan, field: "command" | "args"): void {
  const { ref } = scan;
  const items = ref.container[field] ?? [];
  const expanded = items.map((item) => (typeof item === "string" ? expand(scan, item) : undefined));
  const values = expanded.map((e) => e?.value ?? "");
  const found = new Map<number, { detected: Detected; name: string }>();
  const note = (i: number, name: string, detected: Detected) => {
    if (!found.has(i)) found.set(i, { detected, name });
  };
  for (const [name, value, i] of namedValues(values)) {
    const detected = findCredential(name, value);
    if (detected) note(i, name, detected);
  }
  values.forEach((value, i) => {
    const detected = findCredential("", value);
    if (detected) note(i, "", detected);
    if (/\s/.test(value))
      for (const [name, inner] of namedValues(shellWords(value))) {
        const named = findCredential(name, inner);
        if (named) note(i, name, named);
      }
  });
  for (const [i, { detected, name }] of [...found].sort(([a], [b]) => a - b)) {
    const raw = items[i] ?? "";
    const { note: expandedNote, related } = expansionNote(scan, expanded[i]?.used ?? [], raw, name);
    const what = name === "" ? "" : ` (the value of ${name})`;
    scan.findings.push(
      literalFinding(
        `${containerLabel(ref)} ${field}[${i}]${what} holds {literal}${expandedNote}; ${LITERAL_ADVICE}`,
        fieldPath(ref.path, field, i),
        detected,
        related,
      ),
    );
  }
}

/** Every place a container takes a string, in the order the kubelet builds them. */
function literalSecretFindings(
  ref: ContainerRef,
  workload: Workload,
  cluster: ClusterState,
): Finding[] {
  const scan: Scan = { ref, workload, env: new Map(), findings: [] };
  scanEnvFrom(scan, cluster);
  scanEnv(scan, cluster);
  scanArguments(scan, "command");
  scanArguments(scan, "args");
  return scan.findings;
}

const noLiteralSecrets: Rule = {
  id: NO_LITERAL_SECRETS,
  title:
    "No container is given a literal credential: not in env, command or args, nor through a ConfigMap.",
  explain: {
    why: "A credential written into a manifest is in the repository and its history, in every copy of the manifest, in the API server's stored pod spec (not encrypted as Secrets can be) and readable by everyone who can read the Deployment: far more people and systems than should hold it. Treat it as leaked.",
    fix: "Revoke the credential first: it stays in version history. Put its replacement in a Secret, mount the Secret as a file (a secret or projected volume) and point the server at the file; or use workload identity, so there is no long-lived secret at all. Checked: env values (with $(VAR) references expanded as the kubelet expands them), command and args (flags such as --password=… and NAME=… assignments, also inside a shell script), and the keys of ConfigMaps read through env[].valueFrom.configMapKeyRef or envFrom[].configMapRef when the ConfigMap is among the inputs or in the cluster. Detected: known token formats (GitHub, AWS, Slack, OpenAI, Anthropic, Google, Stripe secret keys, npm), JWTs, private keys, passwords in URLs (postgres, mysql, mongodb+srv, redis, amqp, SQLAlchemy), connection strings (Azure AccountKey, SharedAccessKey and SAS signatures, Password=/Pwd=), Bearer and Basic authorization values, any literal in a variable or flag named like a password (a passphrase too), a passphrase in one named *_SECRET, and random-looking values in ones named like secrets. Public values are not credentials: public keys, digests, publishable keys, IDs. A $(VAR) reference to a variable read from a Secret is the way to pass one.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                env:
                  - name: GITHUB_TOKEN_FILE
                    value: /var/run/secrets/github/token
                volumeMounts:
                  - name: github
                    mountPath: /var/run/secrets/github
                    readOnly: true
            volumes:
              - name: github
                secret:
                  secretName: mcp-example-github # create it with kubectl create secret generic
                  items:
                    - key: token
                      path: token
    `,
  },
  check({ workload, cluster }) {
    return workload.containers.flatMap((ref) => literalSecretFindings(ref, workload, cluster));
  },
};

const SECRET_ENV_ADVICE =
  "environment variables leak into child processes, crash dumps and logs; mount the Secret as a projected or secret volume, or use workload identity";

function secretEnvFindings(ref: ContainerRef): Finding[] {
  const findings: Finding[] = [];
  (ref.container.env ?? []).forEach((env, j) => {
    const secretRef = env.valueFrom?.secretKeyRef;
    if (secretRef === undefined) return;
    findings.push({
      rule: NO_SECRET_ENV,
      message: `${containerLabel(ref)} env ${variable(env.name, j)} reads key ${JSON.stringify(secretRef.key ?? "")} of Secret ${JSON.stringify(secretRef.name ?? "")}; ${SECRET_ENV_ADVICE}`,
      path: fieldPath(ref.path, "env", j, "valueFrom", "secretKeyRef"),
    });
  });
  (ref.container.envFrom ?? []).forEach((source, k) => {
    if (source.secretRef === undefined) return;
    findings.push({
      rule: NO_SECRET_ENV,
      message: `${containerLabel(ref)} envFrom[${k}] loads every key of Secret ${JSON.stringify(source.secretRef.name ?? "")} into the environment; ${SECRET_ENV_ADVICE}`,
      path: fieldPath(ref.path, "envFrom", k, "secretRef"),
    });
  });
  return findings;
}

const noSecretEnv: Rule = {
  id: NO_SECRET_ENV,
  title: "No environment variable is read from a Secret; Secrets are mounted as files.",
  explain: {
    why: "Environment variables are inherited by every process the server starts (tools that run commands), printed by crash reports and debug endpoints, and readable in /proc/<pid>/environ. A mounted file is read only when needed, by the server alone, and the kubelet updates it when the Secret rotates.",
    fix: "Mount the Secret as a read-only secret or projected volume and have the server read the file (many servers take a *_FILE variable naming it) instead of valueFrom.secretKeyRef or envFrom.secretRef. The default policy only warns about this rule: MCP servers often read credentials from variables alone.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                env:
                  - name: API_TOKEN_FILE
                    value: /var/run/secrets/api/token
                volumeMounts:
                  - name: api
                    mountPath: /var/run/secrets/api
                    readOnly: true
            volumes:
              - name: api
                secret:
                  secretName: mcp-example-api
    `,
  },
  check({ workload }) {
    return workload.containers.flatMap(secretEnvFindings);
  },
};

export const credentialRules: readonly Rule[] = [noLiteralSecrets, noSecretEnv];
