#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { app } from './app.js';

await runAppCli(app);
