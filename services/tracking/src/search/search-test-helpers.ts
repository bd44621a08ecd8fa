import { CairnError } from '@cairn/contracts';

/**
 * Test helper (kept free of jest globals so the production build can include it):
 * runs `fn`, requires an INVALID_PARAMETER_VALUE CairnError whose message
 * contains (or matches) `message`, and throws a descriptive Error otherwise.
 */
export function expectInvalid(fn: () => unknown, message: RegExp | string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof CairnError) || thrown.code !== 'INVALID_PARAMETER_VALUE') {
    const got = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : JSON.stringify(thrown) ?? 'no error';
    throw new Error(`expected INVALID_PARAMETER_VALUE, got ${got}`);
  }
  const matches = typeof message === 'string' ? thrown.message.includes(message) : message.test(thrown.message);
  if (!matches) throw new Error(`error message ${JSON.stringify(thrown.message)} does not match ${String(message)}`);
}
