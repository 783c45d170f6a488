// Brotli and gzip copies of the built text assets, beside them (dist/x.js.br, dist/x.js.gz), for
// the server to send to clients that accept them (chosen by Accept-Encoding). Node's zlib has
// both codecs at their best settings, so this needs no build plugin; it runs once per build.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = path.resolve(process.argv[2] ?? "dist");
const compressible = /\.(js|css|html|svg|json|txt|webmanifest)$/;
let before = 0;
let brotli = 0;
let gzip = 0;
for (const entry of fs.readdirSync(root, { recursive: true })) {
  const file = path.join(root, entry);
  if (!compressible.test(file) || !fs.statSync(file).isFile()) continue;
  const bytes = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  const gz = zlib.gzipSync(bytes, { level: 9 });
  // A copy that saves nothing is not worth a second file.
  if (br.length < bytes.length) fs.writeFileSync(`${file}.br`, br);
  if (gz.length < bytes.length) fs.writeFileSync(`${file}.gz`, gz);
  before += bytes.length;
  brotli += Math.min(br.length, bytes.length);
  gzip += Math.min(gz.length, bytes.length);
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`compressed ${kib(before)} of text assets: brotli ${kib(brotli)}, gzip ${kib(gzip)}`);
