/**
 * The module build information the Go linker embeds in every module-mode binary (what
 * `go version -m` prints), read from an ELF executable's bytes as Go's debug/buildinfo does: the
 * 32-byte header starting `\xff Go buildinf:` (in the `.go.buildinfo` section, 16-byte aligned),
 * then either the version and module strings inline as varint-prefixed bytes (Go ≥ 1.18) or, in
 * older binaries, pointers to Go string headers resolved through the ELF load segments.
 */

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  /** A `=>` replacement of this module, as built. */
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** `go1.22.5`, as the toolchain stamped it. */
  goVersion: string;
  /** The main package's import path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
}

// 0xff is not valid UTF-8 on its own, so the magic is spelled in bytes.
const MAGIC = Uint8Array.of(0xff, ...new TextEncoder().encode(" Go buildinf:"));
const HEADER_SIZE = 32;
const ALIGN = 16;
const FLAG_BIG_ENDIAN = 0x1;
const FLAG_INLINE = 0x2;
/** No sane build info is longer; Go's reader caps strings likewise. */
const MAX_STRING = 1 << 20;

interface Elf {
  bytes: Uint8Array;
  view: DataView;
  is64: boolean;
  little: boolean;
}

function readElf(bytes: Uint8Array): Elf | undefined {
  if (bytes.byteLength < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c)
    return undefined;
  if (bytes[3] !== 0x46) return undefined;
  const cls = bytes[4];
  const data = bytes[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    is64: cls === 2,
    little: data === 1,
  };
}

function word(e: Elf, off: number, size: number, little = e.little): number | undefined {
  if (off < 0 || off + size > e.bytes.byteLength) return undefined;
  if (size === 2) return e.view.getUint16(off, little);
  if (size === 4) return e.view.getUint32(off, little);
  if (size === 8) {
    const v = e.view.getBigUint64(off, little);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
  }
  return undefined;
}

/** File range of the `.go.buildinfo` section, when the section headers name it. */
function buildInfoSection(e: Elf): { offset: number; size: number } | undefined {
  const w = e.is64 ? 8 : 4;
  const shoff = word(e, e.is64 ? 0x28 : 0x20, w);
  const shentsize = word(e, e.is64 ? 0x3a : 0x2e, 2);
  const shnum = word(e, e.is64 ? 0x3c : 0x30, 2);
  const shstrndx = word(e, e.is64 ? 0x3e : 0x32, 2);
  if (!shoff || !shentsize || !shnum || shstrndx === undefined || shstrndx >= shnum)
    return undefined;
  const section = (i: number): { name: number; offset: number; size: number } | undefined => {
    const base = shoff + i * shentsize;
    const name = word(e, base, 4);
    const offset = word(e, base + (e.is64 ? 0x18 : 0x10), w);
    const size = word(e, base + (e.is64 ? 0x20 : 0x14), w);
    if (name === undefined || offset === undefined || size === undefined) return undefined;
    return { name, offset, size };
  };
  const strtab = section(shstrndx);
  if (strtab === undefined) return undefined;
  const wanted = ".go.buildinfo";
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s === undefined) continue;
    const at = strtab.offset + s.name;
    const name = new TextDecoder().decode(e.bytes.subarray(at, at + wanted.length + 1));
    if (name === `${wanted}\0`) return { offset: s.offset, size: s.size };
  }
  return undefined;
}

/** A virtual address of a loaded segment as a file offset. */
function fileOffset(e: Elf, addr: number): number | undefined {
  const w = e.is64 ? 8 : 4;
  const phoff = word(e, e.is64 ? 0x20 : 0x1c, w);
  const phentsize = word(e, e.is64 ? 0x36 : 0x2a, 2);
  const phnum = word(e, e.is64 ? 0x38 : 0x2c, 2);
  if (!phoff || !phentsize || !phnum) return undefined;
  for (let i = 0; i < phnum; i++) {
    const base = phoff + i * phentsize;
    if (word(e, base, 4) !== 1) continue; // PT_LOAD
    const offset = word(e, base + (e.is64 ? 0x08 : 0x04), w);
    const vaddr = word(e, base + (e.is64 ? 0x10 : 0x08), w);
    const filesz = word(e, base + (e.is64 ? 0x20 : 0x10), w);
    if (offset === undefined || vaddr === undefined || filesz === undefined) continue;
    if (addr >= vaddr && addr < vaddr + filesz) return offset + (addr - vaddr);
  }
  return undefined;
}

function findMagic(bytes: Uint8Array, from: number, to: number): number | undefined {
  let i = Math.ceil(from / ALIGN) * ALIGN;
  const end = Math.min(to, bytes.byteLength) - HEADER_SIZE;
  for (; i <= end; i += ALIGN) {
    let hit = true;
    for (let j = 0; j < MAGIC.length && hit; j++) hit = bytes[i + j] === MAGIC[j];
    if (hit) return i;
  }
  return undefined;
}

/** A uvarint-prefixed string at `off`; the string and the offset after it. */
function varintString(bytes: Uint8Array, off: number): [string, number] | undefined {
  let len = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const b = bytes[off++];
    if (b === undefined) return undefined;
    len += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) {
      if (len > MAX_STRING || off + len > bytes.byteLength) return undefined;
      return [new TextDecoder().decode(bytes.subarray(off, off + len)), off + len];
    }
  }
  return undefined;
}

/**
 * The build info of a Go ELF binary; undefined for anything else (not ELF, not Go, a Go binary
 * built without modules, a truncated file).
 */
export function readGoBuildInfo(bytes: Uint8Array): GoBuildInfo | undefined {
  const e = readElf(bytes);
  if (e === undefined) return undefined;
  const section = buildInfoSection(e);
  const at =
    section === undefined
      ? findMagic(bytes, 0, bytes.byteLength)
      : findMagic(bytes, section.offset, section.offset + section.size);
  if (at === undefined) return undefined;
  const ptrSize = bytes[at + 14];
  const flags = bytes[at + 15] ?? 0;
  let version: string;
  let mod: string;
  if ((flags & FLAG_INLINE) !== 0) {
    const v = varintString(bytes, at + HEADER_SIZE);
    const m = v && varintString(bytes, v[1]);
    if (v === undefined || m === undefined) return undefined;
    [version, mod] = [v[0], m[0]];
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) return undefined;
    const little = (flags & FLAG_BIG_ENDIAN) === 0;
    const goString = (ptrAt: number): string | undefined => {
      const headerAddr = word(e, ptrAt, ptrSize, little);
      const header = headerAddr === undefined ? undefined : fileOffset(e, headerAddr);
      if (header === undefined) return undefined;
      const dataAddr = word(e, header, ptrSize, little);
      const len = word(e, header + ptrSize, ptrSize, little);
      const data = dataAddr === undefined ? undefined : fileOffset(e, dataAddr);
      if (data === undefined || len === undefined || len > MAX_STRING) return undefined;
      if (data + len > bytes.byteLength) return undefined;
      return new TextDecoder().decode(bytes.subarray(data, data + len));
    };
    const v = goString(at + 16);
    const m = goString(at + 16 + ptrSize);
    if (v === undefined || m === undefined) return undefined;
    [version, mod] = [v, m];
  }
  // The module info is framed by two 16-byte sentinels (cmd/go's infoStart and infoEnd).
  if (mod.length >= 33 && mod[mod.length - 17] === "\n") mod = mod.slice(16, -16);
  return parseModInfo(version, mod);
}

/** `path`, `mod`, `dep` and `=>` lines, as runtime/debug.ParseBuildInfo reads them. */
export function parseModInfo(goVersion: string, mod: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [] };
  let last: GoModule | undefined;
  for (const line of mod.split("\n")) {
    const [kind, path = "", version = "", sum] = line.split("\t");
    const module: GoModule = { path, version };
    if (sum !== undefined && sum !== "") module.sum = sum;
    if (kind === "path") info.path = path;
    else if (kind === "mod") last = info.main = module;
    else if (kind === "dep") {
      info.deps.push(module);
      last = module;
    } else if (kind === "=>" && last !== undefined) {
      last.replace = module;
      last = undefined;
    }
  }
  return info;
}
