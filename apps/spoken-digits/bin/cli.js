#!/usr/bin/env node
// Committed (npm links bins at install time, before dist/ exists); core's launcher explains an unbuilt dist/.
import { launch } from '@rnnkit/core/launch';
await launch(new URL('../dist/cli.js', import.meta.url));
