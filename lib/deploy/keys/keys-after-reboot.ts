// After `deploy --reboot`: the reboot emptied /run (on NixOS /run/keys is a ramfs, `nixos/modules/tasks/
// filesystems.nix`), so an instance's pre-activation keys that live under /run are sent again as soon as
// the host is back, before its checks run. Post-activation keys need nothing: their step follows the
// activation, reboot included. A key elsewhere (on a disk) survived the reboot and is not sent again.
import { HostError } from '../../errors.ts';
import type { RunCtx } from '../context.ts';
import { sendKeys, type KeysStageCtx } from './keys.ts';
import type { StepIO } from '../run/run-dag.ts';

/** Is `path` on the tmpfs/ramfs a reboot empties (/run, and /var/run, its usual symlink)? */
export function emptiedByReboot(path: string): boolean {
  return /^\/(var\/)?run\//.test(path);
}

export async function resendAfterReboot(
  ctx: KeysStageCtx & Pick<RunCtx, 'plan'>,
  instance: string,
  io: StepIO,
): Promise<void> {
  const inst = ctx.hive.instances[instance]!;
  const lost = Object.values(inst.keys).filter(
    (k) => k.uploadAt === 'pre-activation' && emptiedByReboot(k.path),
  );
  // `--no keys`: the user keeps keys out of this deploy, the reboot's as well.
  if (lost.length === 0 || ctx.plan.skip.keys) return;
  io.log('stderr', `nix-hive: the reboot emptied /run: sending ${lost.length} key(s) again`);
  try {
    await sendKeys(ctx, { instance, keys: lost.map((k) => ({ name: k.name, path: k.path })) }, io);
  } catch (err) {
    if (io.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new HostError(
      `${message}; the host rebooted into the new system without its keys under /run (re-send with nix-hive upload-keys ${instance})`,
      { cause: err },
    );
  }
}
