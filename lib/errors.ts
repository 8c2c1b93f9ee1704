/**
 * Typed errors. Library code throws these with a message that names the problem and what to do;
 * only command-line scripts turn them into exit codes.
 */

/** Base class: every error the library throws on purpose. */
export class AutoencoderLabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration key is unknown, of the wrong type, or out of range. */
export class ConfigError extends AutoencoderLabError {}

/** A dataset file or folder is missing, unreadable, truncated, corrupt or inconsistent. */
export class DatasetError extends AutoencoderLabError {
  constructor(
    message: string,
    /** The file or folder at fault, when there is one. */
    readonly path?: string,
  ) {
    super(message);
  }
}

/** A downloaded or cached file does not have the SHA-256 checksum we expect. */
export class ChecksumError extends DatasetError {}

/** A download was needed but failed or was not allowed. */
export class DownloadError extends DatasetError {}
