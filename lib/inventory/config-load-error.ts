// The config file could not be found, imported or parsed: bad input (exit 2), one line naming the file.
import { InputError, type ErrorCode } from '../errors.ts';

export class ConfigLoadError extends InputError {
  override readonly code: ErrorCode = 'E_CONFIG_LOAD';
  constructor(file: string, message: string, cause?: unknown) {
    super([{ path: file, message }]);
    this.name = 'ConfigLoadError';
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause });
  }
}
