// Calibration and evaluation: verification metrics on labelled pairs (roc.ts) and identification
// metrics on probes and leave-one-out retrieval (identification.ts).
export * from './roc.js';
export * from './identification.js';
