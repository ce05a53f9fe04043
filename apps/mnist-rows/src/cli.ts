#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { mnistApp } from './app.js';

await runAppCli(mnistApp);
