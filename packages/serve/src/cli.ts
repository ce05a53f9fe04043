#!/usr/bin/env node
import { runServeCli } from './program.js';

await runServeCli();
