// Stub systems for the diff tests (issue 20): packages `tool-<version>` and `extra-3.1` or `legacy-0.9`, a unit
// `app.service` whose text changes with `app`, and an optional kernel version.
import { stubModule } from './faults.ts';

export function generation(o: {
  seed: string;
  tool: string;
  extra: boolean;
  app: string;
  kernel?: string;
}): string {
  const pkgs = [
    `(pkgs.writeText "tool-${o.tool}" "tool ${o.tool}")`,
    o.extra ? '(pkgs.writeText "extra-3.1" "extra")' : '(pkgs.writeText "legacy-0.9" "legacy")',
  ];
  return stubModule({
    seed: o.seed,
    extra: [
      `  environment.systemPackages = [ ${pkgs.join(' ')} ];`,
      `  systemd.services.app = { script = "app ${o.app}"; stopIfChanged = false; };`,
      o.kernel ? `  hive.kernel = "${o.kernel}";` : '',
    ].join('\n'),
  }).replace('{ ... }:', '{ pkgs, ... }:');
}
