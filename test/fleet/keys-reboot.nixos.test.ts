// The cases of keys-reboot.test.ts on NixOS-like hosts (systemd as PID 1, NixOS's unit environment, /run/keys a ramfs
// root:keys 0750, multi-user Nix: test/fleet/harness/README.md): NIX_HIVE_FLEET_KIND makes every host of its fleet one.
process.env.NIX_HIVE_FLEET_KIND = 'nixos';
await import('./keys-reboot.test.ts');
