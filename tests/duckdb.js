#!/usr/bin/env node
// Runs one SQL statement in an in-memory DuckDB and prints the result as
// JSON lines, one object per row: an independent reader for the tests and
// the benchmarks. Usage: node tests/duckdb.js 'SELECT ...'
const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, 'node_modules', '@duckdb', 'node-api'));

(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const res = await con.runAndReadAll(process.argv[2]);
	const out = [];
	for (const row of res.getRowObjectsJson())
		out.push(JSON.stringify(row));
	if (out.length)
		process.stdout.write(out.join('\n') + '\n');
})().catch((e) => {
	process.stderr.write(`duckdb: ${e.message}\n`);
	process.exit(1);
});
