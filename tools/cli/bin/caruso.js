#!/usr/bin/env node
// The `caruso` command. Runs the compiled CLI (npm run build, or npm start, compiles it).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
