/** This app's version, recorded in its model directories. */
export const APP_VERSION = '0.2.0';
