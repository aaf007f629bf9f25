// The store package: dist/extension/ zipped, with the loopback host
// permissions (there for a plugin on this computer: the demo and the tests)
// removed, so the published extension asks for no more than it needs.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost)\//;

interface ManifestLike {
  host_permissions?: string[];
  content_scripts?: { matches?: string[]; js?: string[] }[];
}

export function storeManifest(m: ManifestLike): ManifestLike {
  const out = structuredClone(m);
  out.host_permissions = out.host_permissions?.filter((h) => !LOOPBACK.test(h));
  out.content_scripts = out.content_scripts
    ?.map((c) => ({ ...c, matches: c.matches?.filter((h) => !LOOPBACK.test(h)) }))
    .filter((c) => (c.matches?.length ?? 0) > 0);
  return out;
}

export function packageZip(dir: string, zipPath: string): void {
  const files: Zippable = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== '.vite') walk(p);
        continue;
      }
      const rel = relative(dir, p).split('\\').join('/');
      files[rel] = rel === 'manifest.json' ? new TextEncoder().encode(JSON.stringify(storeManifest(JSON.parse(readFileSync(p, 'utf8')) as ManifestLike), null, 2)) : readFileSync(p);
    }
  };
  walk(dir);
  // A fixed date keeps the package byte-identical between builds of the same source.
  writeFileSync(zipPath, zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }));
}
