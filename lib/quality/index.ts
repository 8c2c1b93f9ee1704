// Reconstruction quality, on plain arrays: per-image and per-set metrics (BCE, MSE, PSNR, pixel
// accuracy), SSIM as scikit-image computes it, and the image-by-image analysis of a set.
export * from "./metrics";
export * from "./ssim";
export * from "./reconstruction-analysis";
