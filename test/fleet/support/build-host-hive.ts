// The hive of the build-host tests (build-host.test.ts, build-host-uri.test.ts): portico (jump and store host)
// and www-1..4 behind it, substituting from it; the example's modules plus a payload of the run's own seed (no
// earlier run can have left that toplevel in any store); built where `build.host` says.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { STUB_NIXPKGS } from '../harness/inventory-json.ts';
import { EXAMPLE, wireToPortico } from './seed-fleet.ts';
import type { FleetHosts } from './use-fleet.ts';

export const WWW = ['www-1', 'www-2', 'www-3', 'www-4'];

/** portico, www-1..4 behind it, and the builder on `builderNetwork`. */
export const buildHostFleet = (builderNetwork: 'public' | 'internal'): FleetHosts => ({
  portico: 'both',
  builder: builderNetwork,
  ...Object.fromEntries(WWW.map((w) => [w, 'internal' as const])),
});

/** Writes `<fleet.dir>/hive` (returned); `builder` also becomes an instance (behind portico) when asked. */
export async function writeBuildHostHive(
  fleet: Fleet,
  o: { buildHost: string; seed: string; builderInstance: boolean },
): Promise<string> {
  for (const w of WWW) await wireToPortico(fleet, w);
  const dir = path.join(fleet.dir, 'hive');
  await mkdir(dir, { recursive: true });
  await cp(path.join(EXAMPLE, 'modules'), path.join(dir, 'modules'), { recursive: true });
  await writeFile(
    path.join(dir, 'modules', 'payload.nix'),
    `{ ... }: { hive.payloadSize = "48M"; hive.payloadSeed = "${o.seed}"; }\n`,
  );
  const h = (n: string) => fleet.hosts[n]!;
  const inst = (n: string, system: string, behind: boolean) => ({
    system,
    address: h(n).address,
    hostKeys: [h(n).hostKey],
    ...(behind ? { via: 'portico' } : {}),
    ...(behind && n !== 'builder' ? { store: 'portico' } : {}),
  });
  const config = {
    paths: { nixpkgs: STUB_NIXPKGS },
    signingKey: path.join(EXAMPLE, 'keys', 'hive.sec'),
    build: { host: o.buildHost },
    defaults: { ssh: { IdentityFile: fleet.clientKey } },
    systems: {
      portico: { modules: ['./modules/portico.nix'] },
      ...(o.builderInstance ? { builder: { modules: ['./modules/common.nix'] } } : {}),
      www: { modules: ['./modules/www.nix', './modules/payload.nix'] },
    },
    instances: {
      portico: inst('portico', 'portico', false),
      ...(o.builderInstance ? { builder: inst('builder', 'builder', true) } : {}),
      ...Object.fromEntries(WWW.map((w) => [w, inst(w, 'www', true)])),
    },
  };
  await writeFile(path.join(dir, 'hive.config.ts'), `export default ${JSON.stringify(config, null, 2)};\n`);
  return dir;
}
