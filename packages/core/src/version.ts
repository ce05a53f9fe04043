/** The version of @rnnkit/core, recorded in every model directory (a test keeps it equal to package.json's). */
export const RNNKIT_VERSION = '0.2.0';
