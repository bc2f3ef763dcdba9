// Unknown fields in a Kubernetes object (a misspelled `protocl:`), which
// kubernetes-models' validate() lets through (its schemas allow extra
// properties) and the API server drops or refuses (strict field
// validation). The fields each type has are read from the package's own
// type declarations (its .d.ts: one interface per API type, a property per
// field, nested types imported by path), so they are the API's, not a list
// of ours.
import fs from 'node:fs';
import path from 'node:path';

import { modules } from './kustomize.mjs';

const cache = new Map();

/** { field: nested declaration file or null } of the interface in @file,
 * or null when the file declares no interface (a type alias: IntOrString). */
function fieldsOf(file) {
  if (cache.has(file)) return cache.get(file);
  const text = fs.readFileSync(file, 'utf8');
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const spec = m[2].replace(/\.js$/, '');
    imports.set(m[1], spec.startsWith('.') ? path.join(path.dirname(file), `${spec}.d.ts`) : path.join(modules, `${spec}.d.ts`));
  }
  const body = text.match(/^export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/m);
  let fields = null;
  if (body) {
    fields = new Map();
    for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
      const type = m[2].match(/^(?:Array<)?(\w+)/);
      fields.set(m[1], (type && imports.get(type[1])) ?? null);
    }
  }
  cache.set(file, fields);
  return fields;
}

function walk(value, file, where, out) {
  const fields = file ? fieldsOf(file) : null;
  if (!fields || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, file, `${where}/${i}`, out));
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!fields.has(key)) out.push(`${where}/${key} is no field of ${path.basename(file, '.d.ts')}`);
    else walk(v, fields.get(key), `${where}/${key}`, out);
  }
}

/** The unknown fields of @obj (paths), [] when all are known. */
export function unknownFields(obj) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const file = path.join(modules, 'kubernetes-models', group, version, `${obj.kind}.d.ts`);
  const out = [];
  if (fs.existsSync(file)) walk(obj, file, 'data', out);
  return out;
}
