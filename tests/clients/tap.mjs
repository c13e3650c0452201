// What the browser tests share: TAP lines (ok, diag), the CLI steps before a
// daemon starts (tokenAdd), stopping a child process, and the run itself
// (a deadline, the plan at the end, the exit code).
import { execFileSync } from 'node:child_process';

let count = 0;
let failed = 0;

export function ok(cond, name, detail) {
	count++;
	if (cond) {
		console.log(`ok ${count} - ${name}`);
		return true;
	}
	failed++;
	console.log(`not ok ${count} - ${name}`);
	if (detail !== undefined)
		for (const l of String(detail).split('\n'))
			console.log(`#   ${l}`);
	return false;
}

export const diag = (s) => String(s).split('\n').forEach((l) => console.log(`# ${l}`));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A token for the database at db, which migrate makes first (token add
// refuses a database that does not exist yet).
export function tokenAdd(bin, db, name, role) {
	execFileSync(bin, ['migrate', '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
	return execFileSync(bin, ['token', 'add', name, '--role', role, '--db', db],
		{ stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}

// Debian's Chromium through playwright-core (in tests/clients/node_modules,
// which tools/install-deps.sh installs), with extra command-line args.
export async function launchChromium(executablePath, extra = []) {
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
	} catch (e) {
		throw new Error('playwright-core is not installed in ' +
			'tests/clients/node_modules (sh tools/install-deps.sh installs ' +
			`it): ${e.message}`);
	}
	return chromium.launch({
		executablePath,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', ...extra],
	});
}

// SIGTERM to proc, SIGKILL after 15 s; resolves once it is gone.
export function stopProcess(proc) {
	if (!proc || proc.exitCode !== null || proc.signalCode !== null)
		return Promise.resolve();
	return new Promise((resolve) => {
		const kill = setTimeout(() => proc.kill('SIGKILL'), 15000);
		proc.once('exit', () => {
			clearTimeout(kill);
			resolve();
		});
		proc.kill('SIGTERM');
	});
}

// Runs main within deadlineMs, then stopAll (whatever happened), then
// onFailure when a test failed (to print logs); prints the plan and exits.
export async function run(main, { stopAll, deadlineMs, onFailure }) {
	const watchdog = setTimeout(() => {
		ok(false, `finished within ${deadlineMs / 1000} s`);
		stopAll().finally(() => {
			console.log(`1..${count}`);
			process.exit(1);
		});
	}, deadlineMs);
	const started = Date.now();
	try {
		await main();
	} catch (e) {
		ok(false, `the test ran to its end: ${e.message}`, e.stack);
	}
	await stopAll();
	clearTimeout(watchdog);
	if (failed && onFailure)
		onFailure();
	diag(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
	console.log(`1..${count}`);
	process.exit(failed ? 1 : 0);
}
