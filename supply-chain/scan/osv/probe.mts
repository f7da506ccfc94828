import { zipSync, unzipSync } from "fflate";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { parseOsvRecord } from "./record.ts";
import { buildIndex } from "./index.ts";
if (!existsSync("/tmp/osv-bench.zip")) {
const rec = JSON.parse(readFileSync("test/fixtures/osv/npm/GHSA-hc55-p739-j48w.json","utf8"));
const files: Record<string, Uint8Array> = {};
const enc = new TextEncoder();
for (let i=0;i<50000;i++){ const r = {...rec, id: "GHSA-"+i, affected: [{package:{ecosystem:"npm",name:"p"+(i%15000)}, ranges: rec.affected[1].ranges}]}; files[`npm/${r.id}.json`]=enc.encode(JSON.stringify(r,null,2)); }
writeFileSync("/tmp/osv-bench.zip", zipSync(files,{level:6, mem: 0}));
}
const z = readFileSync("/tmp/osv-bench.zip");
let t=performance.now(); const u = unzipSync(z); console.log("unzip", performance.now()-t);
t=performance.now(); const texts = Object.values(u).map(b=>Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8")); console.log("decode Buffer", performance.now()-t);
t=performance.now(); const vals = texts.map(s=>JSON.parse(s)); console.log("parse", performance.now()-t);
t=performance.now(); const recs = vals.map((x)=>parseOsvRecord(x, "x")); console.log("parseOsvRecord", performance.now()-t);
t=performance.now(); buildIndex(recs); console.log("index", performance.now()-t);
