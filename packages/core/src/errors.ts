/**
 * An error caused by the user's input or environment (bad file, bad flag, missing data), as opposed to a bug.
 * CLIs print only its message (no stack trace), so the message must name the file, line or field at fault.
 */
export class RnnkitError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RnnkitError';
  }
}
