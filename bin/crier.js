#!/usr/bin/env node
// Entry for `npx crier ...`: runs the compiled CLI.
import '../dist/cli.js';
