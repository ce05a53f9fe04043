#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { textgenApp } from './app.js';

await runAppCli(textgenApp);
