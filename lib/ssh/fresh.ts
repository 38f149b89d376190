// Two uses of the run's ssh_config beside its ControlMasters (pure argv builders): a command over a NEW
// connection to the host (`ControlPath none`: proves the host still accepts connections, as the confirmation
// of a switch must), and a local forward added to, and cancelled from, a host's existing master (an HTTP
// check reaches a host behind a jump host over its own connection, on a unix socket in the private folder).
import { quoteArgv } from './quote.ts';

/** ssh argv for `command` on `instance` over a new connection (the jump host's connection may still be shared). */
export function freshSshArgv(
  configArgs: readonly string[],
  instance: string,
  command: readonly string[],
): string[] {
  return [
    ...configArgs,
    '-o',
    'ControlMaster=no',
    '-o',
    'ControlPath=none',
    '-T',
    '--',
    instance,
    quoteArgv(command),
  ];
}

/** `-O forward` / `-O cancel` of `<socket>` → `<address>:<port>` on the instance's master. */
export function forwardArgv(
  configArgs: readonly string[],
  op: 'forward' | 'cancel',
  instance: string,
  socket: string,
  address: string,
  port: number,
): string[] {
  const host = address.includes(':') ? `[${address}]` : address;
  return [...configArgs, '-O', op, '-L', `${socket}:${host}:${port}`, '--', instance];
}
