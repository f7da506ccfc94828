import assert from "node:assert/strict";
import { test } from "node:test";
import { blockAddresses, classifyReach, parseCidr } from "../../../policies/workload/cidr.ts";
import {
  INTERNAL_V4 as internalV4,
  INTERNAL_V6 as internalV6,
} from "../../support/internal-ranges.ts";

const V4 = 0xffff00000000n;

test("parseCidr accepts what the API server accepts and normalises host bits", () => {
  const table: [string, bigint, bigint][] = [
    ["0.0.0.0/0", V4, V4 + 0xffffffffn],
    ["10.0.0.0/8", V4 + 0x0a000000n, V4 + 0x0affffffn],
    ["10.1.2.3/8", V4 + 0x0a000000n, V4 + 0x0affffffn],
    ["169.254.169.254/32", V4 + 0xa9fea9fen, V4 + 0xa9fea9fen],
    ["::/0", 0n, (1n << 128n) - 1n],
    ["0::/0", 0n, (1n << 128n) - 1n],
    ["::1/128", 1n, 1n],
    ["::ffff:0.0.0.0/96", V4, V4 + 0xffffffffn],
    ["::ffff:0:0/96", V4, V4 + 0xffffffffn],
    ["::FFFF:10.0.0.0/104", V4 + 0x0a000000n, V4 + 0x0affffffn],
    ["fe80::/10", 0xfe80n << 112n, (0xfec0n << 112n) - 1n],
    ["2001:db8:0:0:0:0:0:1/128", (0x20010db8n << 96n) + 1n, (0x20010db8n << 96n) + 1n],
  ];
  for (const [text, lo, hi] of table) {
    assert.deepEqual(parseCidr(text), { lo, hi }, text);
  }
});

test("parseCidr rejects malformed CIDRs", () => {
  for (const text of [
    "",
    "0.0.0.0",
    "0.0.0.0/",
    "0.0.0.0/33",
    "0.0.0.0/00",
    "0.0.0.0/-1",
    "010.0.0.0/8",
    "256.0.0.0/8",
    "1.2.3/24",
    "1.2.3.4.5/32",
    " 10.0.0.0/8",
    "10.0.0.0/8 ",
    "::/129",
    "1:2:3:4:5:6:7:8:9/128",
    "1::2::3/64",
    "12345::/16",
    "fe80::1%eth0/64",
    "::ffff:1.2.3/96",
    "1:2:3:4:5:6:7::8/128",
    "0.0.0.0/0/0",
    "example.com/8",
  ]) {
    assert.equal(parseCidr(text), undefined, JSON.stringify(text));
  }
});

test("classifyReach: every notation and union of all addresses is every address", () => {
  const table: [string, { cidr: string; except?: string[] }[], ReturnType<typeof classifyReach>][] =
    [
      ["0.0.0.0/0", [{ cidr: "0.0.0.0/0" }], { kind: "every-address", family: 4 }],
      ["::/0", [{ cidr: "::/0" }], { kind: "every-address", family: 4 }],
      ["0::/0", [{ cidr: "0::/0" }], { kind: "every-address", family: 4 }],
      ["mapped", [{ cidr: "::ffff:0.0.0.0/96" }], { kind: "every-address", family: 4 }],
      [
        "two halves",
        [{ cidr: "0.0.0.0/1" }, { cidr: "128.0.0.0/1" }],
        { kind: "every-address", family: 4 },
      ],
      ["v6 halves", [{ cidr: "::/1" }, { cidr: "8000::/1" }], { kind: "every-address", family: 4 }],
      [
        "v6 without the mapped range",
        [{ cidr: "::/0", except: ["::ffff:0:0/96"] }],
        { kind: "every-address", family: 6 },
      ],
      ["host bits set", [{ cidr: "1.2.3.4/0" }], { kind: "every-address", family: 4 }],
    ];
  for (const [name, blocks, expected] of table) {
    assert.deepEqual(classifyReach(blockAddresses(blocks)), expected, name);
  }
});

test("classifyReach: internet egress excepts every internal range", () => {
  const table: [string, { cidr: string; except?: string[] }[], ReturnType<typeof classifyReach>][] =
    [
      [
        "v4 web-fetch",
        [{ cidr: "0.0.0.0/0", except: internalV4 }],
        { kind: "internet", families: [4] },
      ],
      [
        "v4 and v6",
        [
          { cidr: "0.0.0.0/0", except: internalV4 },
          { cidr: "::/0", except: [...internalV6, "::ffff:0:0/96"] },
        ],
        { kind: "internet", families: [4, 6] },
      ],
      [
        "halves with excepts",
        [
          { cidr: "0.0.0.0/1", except: ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8"] },
          {
            cidr: "128.0.0.0/1",
            except: ["172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "224.0.0.0/4"],
          },
        ],
        { kind: "internet", families: [4] },
      ],
      [
        "also excepting documentation and reserved ranges",
        [{ cidr: "0.0.0.0/0", except: [...internalV4, "192.0.2.0/24", "240.0.0.0/4"] }],
        { kind: "internet", families: [4] },
      ],
      [
        "metadata left open",
        [{ cidr: "0.0.0.0/0", except: internalV4.filter((c) => c !== "169.254.0.0/16") }],
        {
          kind: "public-and-internal",
          family: 4,
          reaches: ["169.254.0.0/16 (link-local, cloud metadata)"],
        },
      ],
      [
        "only 10/8 excepted",
        [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }],
        {
          kind: "public-and-internal",
          family: 4,
          reaches: [
            "172.16.0.0/12 (private)",
            "192.168.0.0/16 (private)",
            "100.64.0.0/10 (carrier-grade NAT)",
            "127.0.0.0/8 (loopback)",
            "169.254.0.0/16 (link-local, cloud metadata)",
            "224.0.0.0/4 (multicast)",
          ],
        },
      ],
      [
        "v6 metadata-free but v4 mapped range open",
        [{ cidr: "::/0", except: internalV6 }],
        { kind: "every-address", family: 4 },
      ],
      ["a public /20", [{ cidr: "140.82.112.0/20" }], undefined],
      [
        "public minus a public range is not all of the internet",
        [{ cidr: "0.0.0.0/0", except: [...internalV4, "8.8.8.0/24"] }],
        undefined,
      ],
      ["nothing", [], undefined],
    ];
  for (const [name, blocks, expected] of table) {
    assert.deepEqual(classifyReach(blockAddresses(blocks)), expected, name);
  }
});
