// The Pod-level part of a rendered kustomization, for `podman kube play`
// (test-image's "the manifests' pod ..."): the DaemonSet's pod template as
// a Pod, with the ConfigMaps beside it, and each Secret as a file to give
// `podman secret create` (kube play finds a pod's Secrets among podman's
// secrets). Kubernetes defaults that podman 4.3 gets wrong are made
// explicit here, never in the manifests:
//  - with hostNetwork, container ports are informational in Kubernetes;
//    podman 4.3 turns them into port mappings and refuses them: dropped,
//    probes that name a port get its number;
//  - a Secret volume without `optional` dereferences a null pointer in
//    podman 4.3 (fixed in 4.4, "fix the handling of the optional field of
//    SecretVolumeSource"): `optional: false`, Kubernetes' default;
//  - podman 4.3 writes a Secret's data without decoding its base64 (fixed
//    in 4.4, "Fixes secret (un)marshaling for kube play"): the Secret files
//    carry the decoded text.
//
//   node kube-pod.mjs KUSTOMIZATION_DIR OUT_DIR PODMAN_VERSION
//   -> OUT_DIR/pod.yaml, OUT_DIR/secret-NAME.yaml; prints each NAME
import fs from 'node:fs';
import path from 'node:path';

import { jsyaml, render, requireKubectl, skip } from './kustomize.mjs';

const [dir, out, podmanVersion] = process.argv.slice(2);
if (!dir || !out || !podmanVersion) skip('usage: kube-pod.mjs KUSTOMIZATION_DIR OUT_DIR PODMAN_VERSION');
requireKubectl();
const [major, minor] = podmanVersion.split('.').map(Number);
const before44 = major < 4 || (major === 4 && minor < 4);

const objects = render(dir);
const ds = objects.find((o) => o.kind === 'DaemonSet');
const spec = structuredClone(ds.spec.template.spec);
if (spec.hostNetwork) {
  for (const c of spec.containers) {
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
      if (typeof c[probe]?.httpGet?.port === 'string') c[probe].httpGet.port = ports[c[probe].httpGet.port];
    delete c.ports;
  }
}
if (before44) for (const v of spec.volumes ?? []) if (v.secret) v.secret.optional ??= false;
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: ds.metadata.name, labels: ds.spec.template.metadata.labels }, spec };
const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'pod.yaml'), [...configMaps, pod].map((o) => jsyaml().dump(o)).join('---\n'));
for (const secret of objects.filter((o) => o.kind === 'Secret')) {
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, before44 ? Buffer.from(v, 'base64').toString() : v.replace(/\s+/g, '')]));
  fs.writeFileSync(path.join(out, `secret-${secret.metadata.name}.yaml`), jsyaml().dump({ ...secret, data }));
  console.log(secret.metadata.name);
}
