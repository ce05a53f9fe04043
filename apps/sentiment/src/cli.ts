#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { sentimentApp } from './app.js';

await runAppCli(sentimentApp);
