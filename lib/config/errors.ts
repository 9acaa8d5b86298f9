/**
 * The error thrown for a configuration that cannot be read or used: a missing or unreadable file, a syntax error
 * (`file:line:col`), a value of the wrong type.
 *
 * @module
 */

/** A configuration problem; `main.ts` prints its message as one line and exits 1. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
