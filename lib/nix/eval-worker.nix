# An evaluator worker of the pool (nix/eval-pool.ts): evaluates the spec's systems one after another, in
# `order`, and prints each one's derivation and output path the moment they are known, as a trace line
# `<marker> <attr> <drvPath> <outPath>`. Nothing keeps an evaluated system alive after its line, so the
# process's memory is one system's plus what the evaluator keeps; the pool replaces it above its bound.
# Run with `nix-instantiate --eval --read-write-mode` so the .drv files are written to the store.
{ specFile }:
let
  spec = builtins.fromJSON (builtins.readFile specFile);
  systemOf = import ./system-of.nix;
  one =
    done: attr:
    let
      toplevel = systemOf spec.systems.${attr};
    in
    builtins.seq done (builtins.trace "${spec.marker} ${attr} ${toplevel.drvPath} ${toplevel.outPath}" (done + 1));
in
builtins.foldl' one 0 spec.order
