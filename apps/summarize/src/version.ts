/** This app's version, recorded in its model directories (a test keeps it equal to package.json's). */
export const APP_VERSION = '0.2.0';
