# The build entry point: every system of the spec as an attribute (s0, s1, …), each evaluated by
# system-of.nix. The spec is JSON written by nix-hive, so no user data is ever spliced into Nix source.
{ specFile }:
let
  spec = builtins.fromJSON (builtins.readFile specFile);
in
builtins.mapAttrs (_name: import ./system-of.nix) spec.systems
