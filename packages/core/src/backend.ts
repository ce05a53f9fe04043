import * as tf from '@tensorflow/tfjs';
export async function initBackend(): Promise<string> { await tf.setBackend('cpu'); return tf.getBackend(); }
export function backendInfo(): string { return tf.getBackend(); }
