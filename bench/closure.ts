// The unique closure bytes of a set of systems in the deployer's store: the union of their closures
// (`nix-store -q --requisites`), summed NAR sizes (`nix-store -q --size`). The floor for the uplink.
import { must } from '../test/fleet/harness/proc.ts';

export interface ClosureSize {
  paths: number;
  bytes: number;
}

export async function uniqueClosure(outPaths: string[], env: Record<string, string>): Promise<ClosureSize> {
  const req = await must(['nix-store', '--query', '--requisites', ...outPaths], { env });
  const paths = [...new Set(req.stdout.split('\n').filter(Boolean))];
  const sizes = await must(['nix-store', '--query', '--size', ...paths], { env });
  const bytes = sizes.stdout
    .split('\n')
    .filter(Boolean)
    .reduce((a, l) => a + Number(l.trim()), 0);
  return { paths: paths.length, bytes };
}
