#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { summarizeApp } from './app.js';

await runAppCli(summarizeApp);
