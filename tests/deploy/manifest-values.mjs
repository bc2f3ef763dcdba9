// Reading the values check-manifests.mjs compares: vdid's INI config, its
// byte sizes (K/M/G/T, powers of 1024: docs/vdid.md) and Kubernetes
// resource quantities ("250m", "6", "8448Mi", "8G").

/** { group: { key: value } } of an INI text (GKeyFile's syntax, as vdid reads it). */
export function parseIni(text) {
  const out = {};
  let group = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const g = line.match(/^\[(.+)\]$/);
    if (g) {
      group = out[g[1]] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (group && eq > 0) group[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

const BINARY = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes of a vdid size ("8G", "512M", "1048576"). */
export function parseVdidBytes(value) {
  const m = String(value).match(/^(\d+)([KMGT]?)$/);
  return m ? Number(m[1]) * (m[2] ? BINARY[m[2]] : 1) : NaN;
}

const QUANTITY = {
  m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** The number a Kubernetes quantity stands for (cores or bytes), NaN if none. */
export function parseQuantity(value) {
  const m = String(value ?? '').match(/^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/);
  return m ? Number(m[1]) * QUANTITY[m[2] ?? ''] : NaN;
}
