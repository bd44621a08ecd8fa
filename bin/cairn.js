#!/usr/bin/env node
// The `cairn` command: runs the compiled CLI (npm install builds it through `prepare`).
require('../dist/services/cli/src/main.js');
