/**
 * Record types shared by training, run folders and figures. A bottom module: it imports nothing,
 * so train/ (which writes these records), runs/ (which stores them) and plots/ (which draws them)
 * all point down to it and no import runs back up.
 */

/** What one epoch did. Losses are means over pixels and images. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (on corrupted inputs for denoising models). */
  trainLoss: number;
  /** Validation loss (same loss as training, clean inputs). */
  valLoss: number;
  /** Validation binary cross-entropy and mean squared error, whatever the training loss. */
  valBce: number;
  valMse: number;
  /** Wall-clock seconds of the training pass alone, and of the whole epoch with validation. */
  trainSeconds: number;
  epochSeconds: number;
  /** Training images per second of the training pass. */
  samplesPerSecond: number;
}
