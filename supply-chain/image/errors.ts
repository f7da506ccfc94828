import { errorClass, type WardenErrorOptions } from "../../policies/errors.ts";

export type ImageErrorCode =
  /** The index lists no manifest for the platform asked for, or the image is for another one. */
  | "PLATFORM_NOT_FOUND"
  /** A manifest, config or layer media type this reader does not handle. */
  | "UNSUPPORTED_MEDIA_TYPE"
  /** The image config is not JSON or lacks the fields an image config must have. */
  | "CONFIG_INVALID"
  /** A layer's bytes do not hash to its digest, or its uncompressed bytes to its diff_id. */
  | "LAYER_DIGEST_MISMATCH"
  /** A layer declares, or streams, more bytes than the per-layer bound. */
  | "LAYER_TOO_LARGE"
  /** The layers together unpack to more than the bound (a decompression bomb, or just too big). */
  | "UNCOMPRESSED_TOO_LARGE"
  /** The layers together hold more entries than the bound. */
  | "TOO_MANY_FILES"
  /** A layer that does not decompress or is not a tar archive. */
  | "LAYER_INVALID"
  /** An entry whose name or link leaves the root: `..`, an absolute name, a link out. */
  | "PATH_ESCAPE"
  /** The registry failed while the layer was read (see `cause`). */
  | "LAYER_UNREADABLE"
  /** The extraction target exists and is not empty. */
  | "TARGET_NOT_EMPTY";

export interface ImageErrorDetails extends WardenErrorOptions {
  /** The layer concerned (its digest), when there is one. */
  layer?: string;
  /** The entry concerned, as named in the layer's tar. */
  entry?: string;
}

/** Reading an image's contents failed or was refused; `layer` names the layer concerned. */
export class ImageError extends errorClass<ImageErrorCode>("ImageError") {
  readonly layer: string | undefined;
  readonly entry: string | undefined;

  constructor(code: ImageErrorCode, message: string, details: ImageErrorDetails = {}) {
    super(code, message, details);
    this.layer = details.layer;
    this.entry = details.entry;
  }
}
