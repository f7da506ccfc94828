import assert from "node:assert/strict";
import { test } from "node:test";
import { compareApkVersions, validApkVersion } from "../../../supply-chain/scan/osv/apk-version.ts";

// From apk-tools' own test vectors (alpinelinux/apk-tools, test/version.data, read at commit
// 50ab589e9a5a84592ee4c0ac5a49506bb6c552fc): `a OP b` as `apk version -t a b` answers.
const VECTORS = `
2.34 > 0.1.0_alpha
23_foo > 4_beta
1.0 < 1.0bc
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
2.2.39-r1 > 1.0.4-r3
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.2 < 1.3_alpha
1.3_alpha < 1.3_alpha2
0.7.0 < 0.8_beta1
0.8_beta1 < 0.8_beta2
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
2.3.0b-r4 > 0.12.1
0.12.3 > 0.12
0.12 < 0.13_beta1
1.2.11 < 1.2.12.1
1.2.12.1 < 1.2.13
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
2.59 < 20050718-r1
20050718-r2 > 3.9.8-r5
3.9.8-r5 > 2.01.01_alpha10
2.01.01_alpha10 > 0.94
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
2.8.9-r1 > 2.8.9
2.18.3-r10 > 1.05-r18
10-r1 > 4
20060720 > 3.0.20060720
3.0.20060720 < 20060720
0.7.18-r2 < 0.17-r6
1.3.5-r10 > 1.3.5-r8
2.5.1-r8 < 2.5.1a-r1
3.0.0-r2 < 021109-r3
021109-r3 < 20060512
0.9.16-r1 < 3.9_pre20060124
3.9_pre20060124 > 0.01
1.1.7 < 6b-r7
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
1.1a < 1.3a
1.0-r1 > 0.15.1b
0.15.1b-r2 > 0.15.1b
22.7.3-r1 > 22.7
22.7 > 2.1_pre20
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
0.20070118 < 0.20070207_rc1
4.5_p1-r1 > 4.5_p1
4.5_p1 > 0.9.8c-r1
0.9.8c-r1 < 0.9.8d
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28-r2 < 0.9.28.1
0.9.28.1 < 087-r1
104-r11 > 104-r9
20040406-r1 > 2.12r-r4
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
0.59s-r11 < 0.65
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
`;

test("apk version ordering agrees with apk-tools' test vectors", () => {
  const lines = VECTORS.trim().split("\n");
  assert.ok(lines.length > 70);
  for (const line of lines) {
    const [a = "", op = "", b = ""] = line.split(" ");
    const want = op === "<" ? -1 : op === ">" ? 1 : 0;
    assert.equal(Math.sign(compareApkVersions(a, b)), want, line);
    assert.equal(Math.sign(compareApkVersions(b, a)), want === 0 ? 0 : -want, `reversed: ${line}`);
  }
});

test("apk versions Alpine's advisories use", () => {
  assert.ok(compareApkVersions("3.3.2-r0", "3.3.2-r1") < 0);
  assert.ok(compareApkVersions("1.36.1-r29", "1.36.1-r31") < 0);
  assert.ok(compareApkVersions("8.9.1-r1", "8.11.1-r0") < 0);
  assert.equal(validApkVersion("1.2.3-r4"), true);
  assert.equal(validApkVersion("1.0bc"), false);
  assert.equal(validApkVersion("1.2-x"), false);
  assert.equal(validApkVersion(""), false);
});
