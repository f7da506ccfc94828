import { errorClass, type WardenErrorOptions } from "../../policies/errors.ts";

export type RegistryErrorCode =
  /** The registry wants credentials and has none, or refused the ones given. */
  | "UNAUTHORIZED"
  /** Authenticated, but not allowed to do this (HTTP 403, or a token without the scope). */
  | "DENIED"
  | "NOT_FOUND"
  /** A manifest, blob or response is larger than the configured limit. */
  | "TOO_LARGE"
  /** Content does not hash to the digest it was asked for or announced with. */
  | "DIGEST_MISMATCH"
  /** The call's deadline passed (or the caller's signal aborted it). */
  | "TIMEOUT"
  /** No connection: refused, reset, DNS failure, TLS failure. */
  | "UNREACHABLE"
  /** The registry answered something the distribution spec does not allow here. */
  | "PROTOCOL"
  /** Plain HTTP to a host that is neither loopback nor in the insecure list; nothing was sent. */
  | "INSECURE_REFUSED"
  /** A Docker config or pull secret that cannot be read; `problems` lists every bad field. */
  | "CREDENTIALS_INVALID"
  /** A reference, repository, tag or digest given to the client is malformed. */
  | "INVALID_REFERENCE"
  /**
   * A redirect, token realm or link leads to a loopback, link-local or cluster-internal address
   * the registry itself is not on; nothing was sent there.
   */
  | "DESTINATION_REFUSED";

export interface RegistryErrorDetails extends WardenErrorOptions {
  /** Registry host[:port] the error concerns, as in the image reference (`docker.io`, `127.0.0.1:5000`). */
  registry?: string;
  repository?: string;
  /** The client operation: `resolve`, `getManifest`, `pushBlob`, `token`, … */
  operation?: string;
  /** HTTP status, when the registry answered. */
  status?: number;
}

/** Every failure of the registry client. Callers branch on `code`, never on the message. */
export class RegistryError extends errorClass<RegistryErrorCode>("RegistryError") {
  readonly registry: string | undefined;
  readonly repository: string | undefined;
  readonly operation: string | undefined;
  readonly status: number | undefined;

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(code, message, details);
    this.registry = details.registry;
    this.repository = details.repository;
    this.operation = details.operation;
    this.status = details.status;
  }
}

export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}

/**
 * The same failure, its message led by what it was about (`image ghcr.io/acme/crm:1: …`): code,
 * details and cause kept, so an unreachable registry stays that and is not read as bad input.
 */
export function registryErrorAbout(subject: string, e: RegistryError): RegistryError {
  return new RegistryError(e.code, `${subject}: ${e.message}`, {
    registry: e.registry,
    repository: e.repository,
    operation: e.operation,
    status: e.status,
    problems: e.problems,
    cause: e,
  });
}
