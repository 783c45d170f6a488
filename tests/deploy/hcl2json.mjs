// Parses every .tf file of the given directories with HashiCorp's HCL parser (compiled to
// WebAssembly in @cdktf/hcl2json) and prints {path: parsed}. A syntax error exits non-zero.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";

const out = {};
for (const dir of process.argv.slice(2)) {
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()) {
    const path = join(dir, name);
    try {
      out[path] = await parse(name, readFileSync(path, "utf8"));
    } catch (e) {
      console.error(`${path}: ${e}`);
      process.exit(1);
    }
  }
}
process.stdout.write(JSON.stringify(out));
