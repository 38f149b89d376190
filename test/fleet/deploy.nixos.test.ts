// The cases of deploy.test.ts on NixOS-like hosts (systemd as PID 1, NixOS's unit environment, /run/keys,
// multi-user Nix: test/fleet/harness/README.md): NIX_HIVE_FLEET_KIND makes every host of its fleet one.
process.env.NIX_HIVE_FLEET_KIND = 'nixos';
await import('./deploy.test.ts');
