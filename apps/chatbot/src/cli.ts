#!/usr/bin/env node
import { runAppCli } from '@rnnkit/core';
import { chatbotApp } from './app.js';

await runAppCli(chatbotApp);
