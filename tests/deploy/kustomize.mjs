// What the deployment tests share: the npm packages of web/node_modules
// (js-yaml, kubernetes-models), `kubectl kustomize`, and skipping with a
// reason (exit 77) when one of them is missing.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const modules = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/node_modules');
const require = createRequire(path.join(modules, '..', 'package.json'));

export function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(77);
}

let yaml = null;
/** js-yaml, or a skip when web/node_modules lacks it. */
export function jsyaml() {
  if (!yaml) {
    try {
      yaml = require('js-yaml');
    } catch {
      skip('js-yaml missing in web/node_modules (run ./scripts/setup)');
    }
  }
  return yaml;
}

/** Imports a module of the kubernetes-models package by its path inside it. */
export function importModel(file) {
  return import(pathToFileURL(path.join(modules, 'kubernetes-models', file)));
}

/** Skips unless kubectl (whose kustomize renders) is installed. */
export function requireKubectl() {
  try {
    execFileSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore' });
  } catch {
    skip('kubectl (with its built-in kustomize) is not installed');
  }
}

/** The objects `kubectl kustomize DIR` renders; throws with kustomize's message. */
export function render(dir) {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return jsyaml().loadAll(text).filter(Boolean);
}
