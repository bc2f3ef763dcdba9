// Renders every kustomization of deploy/kubernetes/ with `kubectl
// kustomize` and checks what it gives (docs/deploying.md):
//  - every object against the Kubernetes API schema (npm kubernetes-models,
//    each model's validate(): types, required fields, enums, formats) and
//    for fields the API does not have (strict-fields.mjs);
//  - what the API cannot know: the ConfigMaps and Secrets a pod mounts
//    exist, probes name a port of their container, VDID_CONFIG is a file of
//    a mounted ConfigMap, vdid itself accepts the config and the users file
//    at the paths the pod mounts them, the pod's requests and limits are the
//    config's [budget] plus vdid's own share, and a pod off the host network
//    has TURN servers for its media;
//  - and, so that the checks are known to bite, broken overlays of the
//    base (a wrong type, a budget the resources do not match, a config key
//    vdid refuses, a pod network without TURN) are refused.
//
//   node check-manifests.mjs DEPLOY_DIR VDID   (exit 0 all good, 1 a failure, 77 skipped)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { importModel, jsyaml, render, requireKubectl, skip } from './kustomize.mjs';
import { parseIni, parseQuantity, parseVdidBytes } from './manifest-values.mjs';
import { unknownFields } from './strict-fields.mjs';

const [deployDir, vdid] = process.argv.slice(2);
if (!deployDir || !vdid) skip('usage: check-manifests.mjs DEPLOY_DIR VDID');
try {
  await importModel('v1/Pod.js');
} catch {
  skip('kubernetes-models missing in web/node_modules (run ./scripts/setup)');
}
requireKubectl();

// vdid's own use beside its sessions' [budget]: what the pod asks on top.
const VDID_CPU = 0.25;
const VDID_MEMORY = 256 * 1024 * 1024;

async function modelOf(obj) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  try {
    return (await importModel(path.join(group, version, `${obj.kind}.js`)))[obj.kind];
  } catch {
    return null;
  }
}

// The problems of one rendering, as strings (empty: good).
async function problemsOf(objects, tmp) {
  const problems = [];
  const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  for (const obj of objects) {
    const what = `${obj.kind}/${obj.metadata?.name}`;
    const Model = await modelOf(obj);
    if (!Model) {
      problems.push(`${what}: ${obj.apiVersion} ${obj.kind} is no Kubernetes API kind`);
      continue;
    }
    // kustomize folds a Secret's base64 over lines, which the API's decoder
    // (Go's base64) skips and the schema's "byte" format does not.
    const data = obj.kind === 'Secret' && obj.data ? { data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) } : {};
    try {
      new Model({ ...obj, ...data }).validate();
    } catch (e) {
      problems.push(`${what}: ${e.message}`);
    }
    for (const field of unknownFields(obj)) problems.push(`${what}: ${field}`);
  }
  for (const ds of objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment')) {
    problems.push(...(await podProblems(`${ds.kind}/${ds.metadata.name}`, ds.spec?.template?.spec ?? {}, named, tmp)));
  }
  return problems;
}

async function podProblems(what, pod, named, tmp) {
  const problems = [];
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const v of volumes.values()) {
    if (v.configMap && !named('ConfigMap', v.configMap.name) && !v.configMap.optional)
      problems.push(`${what}: volume ${v.name} mounts ConfigMap ${v.configMap.name}, which is not rendered`);
    if (v.secret && !named('Secret', v.secret.secretName) && !v.secret.optional)
      problems.push(`${what}: volume ${v.name} mounts Secret ${v.secret.secretName}, which is not rendered`);
  }
  for (const c of pod.containers ?? []) {
    const ports = new Set((c.ports ?? []).map((p) => p.name));
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const port = c[probe]?.httpGet?.port;
      if (typeof port === 'string' && !ports.has(port))
        problems.push(`${what}: ${c.name}'s ${probe} names port ${port}, which the container does not have`);
    }
    const configPath = (c.env ?? []).find((e) => e.name === 'VDID_CONFIG')?.value;
    if (!configPath) continue;
    // Lay out the container's mounted ConfigMaps and Secrets in a directory
    // and let vdid read the config there, its paths moved along.
    const root = fs.mkdtempSync(path.join(tmp, 'pod-'));
    const moved = [];
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      const source = v?.configMap ? named('ConfigMap', v.configMap.name) : v?.secret ? named('Secret', v.secret.secretName) : null;
      if (!source) continue;
      const dir = path.join(root, m.mountPath);
      fs.mkdirSync(dir, { recursive: true });
      for (const [key, value] of Object.entries(source.data ?? {}))
        fs.writeFileSync(path.join(dir, key), v.secret ? Buffer.from(value, 'base64') : value);
      moved.push([m.mountPath.replace(/\/$/, '') + '/', dir + '/']);
    }
    const file = path.join(root, configPath);
    if (!fs.existsSync(file)) {
      problems.push(`${what}: VDID_CONFIG ${configPath} is no file of a ConfigMap or Secret the container mounts`);
      continue;
    }
    let text = fs.readFileSync(file, 'utf8');
    for (const [from, to] of moved) text = text.split(`=${from}`).join(`=${to}`);
    fs.writeFileSync(file, text);
    try {
      execFileSync(vdid, ['list-users', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      problems.push(`${what}: vdid refuses its config: ${String(e.stderr).trim().split(root).join('')}`);
      continue;
    }
    const ini = parseIni(text);
    const budget = ini.budget ?? {};
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (budget.cpu) {
      const want = Number(budget.cpu) + VDID_CPU;
      if (parseQuantity(req.cpu) !== want || parseQuantity(lim.cpu) !== want)
        problems.push(`${what}: [budget] cpu=${budget.cpu} wants cpu requests and limits of ${want} (vdid's ${VDID_CPU} on top), not ${req.cpu} / ${lim.cpu}`);
    }
    if (budget.memory) {
      const want = parseVdidBytes(budget.memory) + VDID_MEMORY;
      if (parseQuantity(req.memory) !== want || parseQuantity(lim.memory) !== want)
        problems.push(`${what}: [budget] memory=${budget.memory} wants memory requests and limits of ${want / 1048576}Mi (vdid's 256Mi on top), not ${req.memory} / ${lim.memory}`);
    }
    if (!pod.hostNetwork && !ini.webrtc?.['turn-servers'])
      problems.push(`${what}: off the host network but no [webrtc] turn-servers: WebRTC media cannot reach the pod`);
  }
  return problems;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vdi-manifests-'));
let failed = 0;
let passed = 0;
const check = (ok, name, detail = '') => {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}${!ok && detail ? `\n  ${detail}` : ''}`);
  ok ? passed++ : failed++;
};

try {
  const k8s = path.join(deployDir, 'kubernetes');
  const dirs = ['base', ...fs.readdirSync(path.join(k8s, 'overlays')).map((d) => `overlays/${d}`)];
  for (const dir of dirs) {
    let objects;
    try {
      objects = render(path.join(k8s, dir));
    } catch (e) {
      check(false, `${dir} renders`, String(e.stderr || e.message).trim());
      continue;
    }
    const kinds = objects.map((o) => o.kind);
    check(kinds.includes('DaemonSet') && kinds.includes('ConfigMap') && kinds.includes('Secret'), `${dir} renders a DaemonSet with its ConfigMap and Secrets`, kinds.join(', '));
    const problems = await problemsOf(objects, tmp);
    check(problems.length === 0, `${dir}: ${objects.length} objects pass the API schema and the pod checks`, problems.join('\n  '));
  }

  // Broken overlays of the base must be refused, each for its reason.
  const base = path.resolve(k8s, 'base');
  const baseConf = fs.readFileSync(path.join(base, 'vdid.conf'), 'utf8');
  const broken = [
    ['a port that is no number', 'containerPort must be integer', { patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/ports/0/containerPort', value: 'http' }] }],
    ['a misspelled field', 'ports/0/protocl is no field of ContainerPort', { patch: [{ op: 'add', path: '/spec/template/spec/containers/0/ports/0/protocl', value: 'TCP' }] }],
    ['a missing selector', 'must have required property selector', { patch: [{ op: 'remove', path: '/spec/selector' }] }],
    ['a budget the resources do not match', '[budget] cpu=9', { conf: baseConf.replace(/^cpu=.*$/m, 'cpu=9') }],
    ['a config key vdid does not know', 'unknown key "pool-sise"', { conf: baseConf.replace(/^pool-size=/m, 'pool-sise=') }],
    ['a probe on a port the container lacks', 'names port htp', { patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/livenessProbe/httpGet/port', value: 'htp' }] }],
    ['the pod network without TURN', 'no [webrtc] turn-servers', { patch: [{ op: 'replace', path: '/spec/template/spec/hostNetwork', value: false }] }],
  ];
  for (const [name, expect, change] of broken) {
    const dir = fs.mkdtempSync(path.join(tmp, 'broken-'));
    const k = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [path.relative(dir, base)] };
    if (change.patch) k.patches = [{ target: { kind: 'DaemonSet', name: 'vdid' }, patch: JSON.stringify(change.patch) }];
    if (change.conf) {
      fs.writeFileSync(path.join(dir, 'vdid.conf'), change.conf);
      k.configMapGenerator = [{ name: 'vdid-config', behavior: 'replace', files: ['vdid.conf'] }];
    }
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), jsyaml().dump(k));
    const problems = await problemsOf(render(dir), tmp);
    check(problems.some((p) => p.includes(expect)), `a base with ${name} is refused`, problems.join('\n  ') || 'nothing was refused');
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
