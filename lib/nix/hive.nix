# The build entry point: evaluates each system of the spec through nixpkgs' own NixOS entry point,
# <nixpkgs/nixos/lib/eval-config.nix>, found on the search path nix-build was given (-I …).
# The spec is JSON written by nix-hive, so no user data is ever spliced into Nix source. A system of a
# seed-format (nix-hive 0.1) hive adds `systems.<name>.configuration` of that file as a module.
{ specFile }:
let
  spec = builtins.fromJSON (builtins.readFile specFile);
  evalConfig = import <nixpkgs/nixos/lib/eval-config.nix>;
  toPath = m: if builtins.substring 0 1 m == "/" then /. + m else m;
  seedHive =
    file:
    let
      h = import (toPath file);
    in
    if builtins.isFunction h then h { } else h;
  seedModules = s: if s ? seed then [ (seedHive s.seed.file).systems.${s.seed.name}.configuration ] else [ ];
  systemOf =
    s:
    (evalConfig {
      system = s.system;
      modules = map toPath s.modules ++ seedModules s;
    }).config.system.build.toplevel;
in
builtins.mapAttrs (_name: systemOf) spec.systems
