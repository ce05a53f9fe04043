// The browser-safe audio entry (`@rnnkit/spoken-digits/browser`) for a web page's main thread: WAV decoding, the
// resampler and the endpointer, the same code Node runs, with no tfjs and nothing that reads files. The model and
// the features run in the page's worker through `@rnnkit/spoken-digits/predictor`.
export * from './wav.js';
export * from './resample.js';
export * from './endpoint.js';
