// The seed scenario (portico as jump box and store, www-1..3 behind it) written three ways for the same
// fleet: a hive.config.ts with modules, the seed's own default.nix (ssh Hostname/ProxyJump,
// store = "ssh://portico"), and a flake whose nixosConfigurations are the systems (its nixpkgs input is
// the stub, a `path:` input with `flake = false`, so it works offline). Each in its own folder.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from '../harness/fleet.ts';
import { STUB_NIXPKGS } from '../harness/inventory-json.ts';
import { run } from '../harness/proc.ts';
import { EXAMPLE } from './seed-fleet.ts';

export const SCENARIO = ['portico', 'www-1', 'www-2', 'www-3'];
export const KEY = path.join(EXAMPLE, 'keys', 'hive.sec');

export interface Sources {
  ts: string;
  seed: string;
  flake: string;
}

const nixString = (s: string) => JSON.stringify(s).replaceAll('${', '\\${');

async function withModules(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await cp(path.join(EXAMPLE, 'modules'), path.join(dir, 'modules'), { recursive: true });
}

function hosts(fleet: Fleet) {
  return SCENARIO.map((name) => ({
    name,
    address: fleet.hosts[name]!.address,
    key: fleet.hosts[name]!.hostKey,
  }));
}

/** The instances of a hive.config.ts (also used beside a flake). */
function tsInstances(fleet: Fleet): string {
  const out: Record<string, unknown> = {};
  for (const h of hosts(fleet)) {
    out[h.name] = {
      system: h.name === 'portico' ? 'portico' : 'www',
      address: h.address,
      hostKeys: [h.key],
      ...(h.name === 'portico' ? { tags: ['edge'] } : { via: 'portico', store: 'portico', tags: ['web'] }),
    };
  }
  return JSON.stringify(out, null, 2);
}

export async function writeSources(fleet: Fleet, dir: string, env: Record<string, string>): Promise<Sources> {
  const s: Sources = {
    ts: path.join(dir, 'ts'),
    seed: path.join(dir, 'seed'),
    flake: path.join(dir, 'flake'),
  };
  for (const d of Object.values(s)) await withModules(d);

  await writeFile(
    path.join(s.ts, 'hive.config.ts'),
    `export default {
  paths: { nixpkgs: ${JSON.stringify(STUB_NIXPKGS)} },
  signingKey: ${JSON.stringify(KEY)},
  defaults: { ssh: { IdentityFile: ${JSON.stringify(fleet.clientKey)} } },
  systems: {
    portico: { modules: ['./modules/portico.nix'] },
    www: { modules: ['./modules/www.nix'] },
  },
  instances: ${tsInstances(fleet)},
};
`,
  );

  const [portico, ...www] = hosts(fleet);
  await writeFile(
    path.join(s.seed, 'default.nix'),
    `# The seed's own format (nix-hive 0.1), plus the optional signingKey and hostKeys.
{
  paths.nixpkgs = ${nixString(STUB_NIXPKGS)};
  signingKey = ${nixString(KEY)};

  systems.www.configuration = { ... }: { imports = [ ./modules/www.nix ]; };
  systems.portico.configuration = import ./modules/portico.nix;

  instances = let
    internal = system: hostname: key: {
      inherit system;
      ssh = {
        Hostname = hostname;
        ProxyJump = "portico";
        IdentityFile = ${nixString(fleet.clientKey)};
      };
      store = "ssh://portico";
      tags = [ "web" ];
      hostKeys = [ key ];
    };
  in {
    portico = {
      system = "portico";
      tags = [ "edge" ];
      ssh = { Hostname = ${nixString(portico!.address)}; IdentityFile = ${nixString(fleet.clientKey)}; };
      hostKeys = [ ${nixString(portico!.key)} ];
    };
${www.map((h) => `    ${h.name} = internal "www" ${nixString(h.address)} ${nixString(h.key)};`).join('\n')}
  };
}
`,
  );

  await writeFile(
    path.join(s.flake, 'flake.nix'),
    `{
  inputs.nixpkgs = { url = ${nixString(`path:${STUB_NIXPKGS}`)}; flake = false; };
  outputs = { self, nixpkgs }:
    let
      nixos = modules: import "\${nixpkgs}/nixos/lib/eval-config.nix" { system = "x86_64-linux"; inherit modules; };
    in {
      nixosConfigurations.portico = nixos [ ./modules/portico.nix ];
      nixosConfigurations.www = nixos [ ./modules/www.nix ];
    };
}
`,
  );
  await writeFile(
    path.join(s.flake, 'hive.config.ts'),
    `export default {
  flake: '.',
  signingKey: ${JSON.stringify(KEY)},
  defaults: { ssh: { IdentityFile: ${JSON.stringify(fleet.clientKey)} } },
  instances: ${tsInstances(fleet)},
};
`,
  );
  const lock = await run(
    ['nix', '--extra-experimental-features', 'nix-command flakes', 'flake', 'lock', `path:${s.flake}`],
    { env },
  );
  if (lock.exitCode !== 0) throw new Error(`nix flake lock failed: ${lock.stderr}`);
  return s;
}
