# Builds one stub NixOS system from a JSON module (no data is ever spliced into Nix source):
# nix-build -I nixpkgs=test/fixtures/nixpkgs stub-system.nix --argstr moduleFile /path/module.json
{ moduleFile }:
(import <nixpkgs/nixos/lib/eval-config.nix> {
  modules = [ (builtins.fromJSON (builtins.readFile moduleFile)) ];
}).config.system.build.toplevel
