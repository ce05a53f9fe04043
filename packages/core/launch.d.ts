/** Imports the app's built CLI, or explains in one line that it is not built yet. */
export declare function launch(cliUrl: string | URL): Promise<void>;
