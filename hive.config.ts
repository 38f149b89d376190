// Your hive: the inventory nix-hive deploys. Edit it; `npx nix-hive build --no build | jq .` shows it resolved.
// Every field is described in schema/hive.schema.json (your editor completes them through defineHive).
//
// Precedence for each instance field: the instance's own value > `defaults` > built-in (user root, port 22).
// Relative paths (modules, signingKey, paths, ssh IdentityFile) resolve against this file's folder.
// Names (instances, systems, tags) use letters, digits, `_`, `.` and `-`, and never start with `-`.
import { defineHive } from 'nix-hive';

export default defineHive({
  // Nix search path for every system, passed to the build as `-I name=value`. A system's own `paths`
  // override these entry by entry (the Nix search path takes the first match).
  paths: { nixpkgs: 'channel:nixos-24.11' },

  // Secret key that signs every pushed path (nix-store --generate-binary-cache-key <name> hive.sec hive.pub).
  // Required as soon as an instance has a `store`. This one is the example's DEMO-ONLY key: replace it.
  signingKey: './example/keys/hive.sec',

  // Defaults for every instance (all instance fields but `address`); `ssh` options merge key by key.
  defaults: {
    user: 'root',
    port: 22,
    ssh: { ServerAliveInterval: 15 },
  },

  // Systems: each is built once, however many instances run it.
  systems: {
    portico: { modules: ['./example/modules/portico.nix'] },
    www: { modules: ['./example/modules/www.nix'], system: 'x86_64-linux' },
  },

  // Instances: the machines. `via` jumps through another instance (chains allowed); `store` names the
  // instance (or Nix store URI such as `s3://bucket`) it substitutes from, which receives the closure first.
  instances: {
    portico: { system: 'portico', address: '203.0.113.10', tags: ['edge'] },
    'www-1': {
      system: 'www',
      address: '10.0.0.11',
      via: 'portico',
      store: 'portico',
      tags: ['web'],
      // Pin host keys to refuse any other: hostKeys: ['ssh-ed25519 AAAA…'],
    },
    'www-2': { system: 'www', address: '10.0.0.12', via: 'portico', store: 'portico', tags: ['web'] },
  },
});
