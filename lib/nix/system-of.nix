# One system of a build spec, evaluated through nixpkgs' own NixOS entry point
# (<nixpkgs/nixos/lib/eval-config.nix>, found on the search path nix was given with -I …): its toplevel.
# A system of a seed-format (nix-hive 0.1) hive adds `systems.<name>.configuration` of that file as a module.
# Shared by hive.nix (all systems of a spec as attributes) and eval-worker.nix (one after another).
entry:
let
  evalConfig = import <nixpkgs/nixos/lib/eval-config.nix>;
  toPath = m: if builtins.substring 0 1 m == "/" then /. + m else m;
  seedHive =
    file:
    let
      h = import (toPath file);
    in
    if builtins.isFunction h then h { } else h;
  seedModules = s: if s ? seed then [ (seedHive s.seed.file).systems.${s.seed.name}.configuration ] else [ ];
in
(evalConfig {
  system = entry.system;
  modules = map toPath entry.modules ++ seedModules entry;
}).config.system.build.toplevel
