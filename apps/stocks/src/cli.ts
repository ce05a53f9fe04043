#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { stocksApp } from './app.js';

await runAppCli(stocksApp);
