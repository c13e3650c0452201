// A browser dashboard against the real daemon: Debian's Chromium, driven by
// playwright-core, runs a page whose script fetch()es the status of budget 1
// from another origin, the way a dashboard on an intranet page does.
//
//   node tests/clients/browser.mjs build/npo-budgetd [--tls]
//
// It starts, all on 127.0.0.1 with ephemeral ports: the daemon (fresh
// database, demo data, a read and a write token, --cors-origin for the
// dashboard's origin), a page server for that allowed origin, and one for an
// origin that is not allowed. Prints TAP; stops everything it started.
//
// With --tls the daemon and both page servers speak only HTTPS, with a
// certificate for 127.0.0.1 that a CA made here by openssl signed. Chromium
// trusts exactly that certificate's key (--ignore-certificate-errors-spki-
// list, so any other certificate still fails), this script the CA; every
// answer of the daemon the page sees carries Strict-Transport-Security.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { diag, launchChromium, ok, run, stopProcess, tokenAdd } from './tap.mjs';

const TLS = process.argv.includes('--tls');
// the certificate and key of the daemon and the page servers, and the CA
// this script trusts; made in main() when TLS
let tlsFiles = null;

const CHROMIUM = process.env.NPO_CHROMIUM || '/usr/bin/chromium';
const DEADLINE_MS = 240000;


// Everything started here, to be stopped by stopAll() whatever happens.
let daemon = null;
let daemonLog = '';
let browser = null;
const servers = [];
let tmp = null;

async function stopAll() {
	if (browser)
		await browser.close().catch(() => {});
	browser = null;
	for (const s of servers.splice(0)) {
		s.closeAllConnections?.();
		await new Promise((r) => s.close(() => r()));
	}
	await stopProcess(daemon);
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
	tmp = null;
}

for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => {
		if (daemon && daemon.exitCode === null)
			daemon.kill('SIGKILL');
		if (tmp)
			fs.rmSync(tmp, { recursive: true, force: true });
		process.exit(1);
	});
}


// Starts the daemon on an ephemeral port; resolves with its base URL once it
// has said which port it got and /readyz answers.
// The CA and the certificate for 127.0.0.1, with the commands of the
// README's TLS section (the days aside).
function makeCerts(dir) {
	execFileSync('sh', ['-ec', `cd "$1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 2 \
  -subj '/CN=npo-budgetd test CA' -keyout ca.key -out ca.pem
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout server.key -out server.csr
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 2 -copy_extensions copy -out server.pem`, 'sh', dir],
	{ stdio: ['ignore', 'ignore', 'pipe'] });
	const f = (name) => path.join(dir, name);
	const cert = fs.readFileSync(f('server.pem'));
	const spki = new crypto.X509Certificate(cert).publicKey
		.export({ type: 'spki', format: 'der' });
	return { certFile: f('server.pem'), keyFile: f('server.key'), cert,
		key: fs.readFileSync(f('server.key')), ca: fs.readFileSync(f('ca.pem')),
		spki: crypto.createHash('sha256').update(spki).digest('base64') };
}

// What this script asks the daemon (not the browser): fetch() for plain
// HTTP; over TLS node's https with the CA, as fetch() cannot be given one.
function request(url, { method = 'GET', headers = {}, body } = {}) {
	if (!TLS)
		return fetch(url, { method, headers, body })
			.then(async (r) => ({ status: r.status, headers: r.headers,
				text: await r.text() }));
	return new Promise((resolve, reject) => {
		const req = https.request(url, { method, headers, ca: tlsFiles.ca },
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => { text += d; });
				res.on('end', () => resolve({ status: res.statusCode,
					headers: new Headers(res.headers), text }));
			});
		req.on('error', reject);
		req.end(body);
	});
}

function startDaemon(bin, db, corsOrigin) {
	return new Promise((resolve, reject) => {
		const tlsArgs = TLS ? ['--tls-cert', tlsFiles.certFile, '--tls-key',
			tlsFiles.keyFile] : [];
		daemon = spawn(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0',
			'--demo', '--cors-origin', corsOrigin, ...tlsArgs],
		{ stdio: ['ignore', 'ignore', 'pipe'] });
		const timer = setTimeout(() => reject(new Error(
			'the daemon did not say its port within 20 s')), 20000);
		daemon.stderr.on('data', (d) => {
			daemonLog += d;
			const m = /\(port (\d+)\)/.exec(daemonLog);
			if (m && timer) {
				clearTimeout(timer);
				resolve(`${TLS ? 'https' : 'http'}://127.0.0.1:${m[1]}`);
			}
		});
		daemon.once('exit', (code, sig) => reject(new Error(
			`the daemon exited (${code ?? sig}) before serving`)));
	}).then(async (base) => {
		for (let i = 0; i < 100; i++) {
			try {
				if ((await request(`${base}/readyz`)).status === 200)
					return base;
			} catch { /* not listening yet */ }
			await new Promise((r) => setTimeout(r, 100));
		}
		throw new Error('/readyz did not answer 200 within 10 s');
	});
}

// The dashboard page. Its script does what a dashboard does: fetch the status
// with the token in the Authorization header, then poll with If-None-Match.
// cache: 'no-store' keeps the browser's own HTTP cache out of it, so the
// conditional request reaches the daemon and the script sees its 304.
function page(api, token) {
	return `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>NPO dashboard</title></head>
<body><h1>NPO</h1><pre id="result"></pre>
<script>
const API = ${JSON.stringify(api)};
const TOKEN = ${JSON.stringify(token)};
async function poll(etag) {
	const headers = { Authorization: 'Bearer ' + TOKEN };
	if (etag)
		headers['If-None-Match'] = etag;
	try {
		const r = await fetch(API + '/api/v1/budgets/1/status',
			{ headers, cache: 'no-store' });
		const text = await r.text();
		let body = null;
		try { body = JSON.parse(text); } catch (e) { /* 304: empty */ }
		return { status: r.status, etag: r.headers.get('ETag'),
			length: text.length, body };
	} catch (e) {
		return { error: e.name + ': ' + e.message };
	}
}
window.poll = poll;
(async () => {
	const first = await poll(null);
	const second = first.etag ? await poll(first.etag) : null;
	document.getElementById('result').textContent =
		JSON.stringify({ first, second });
})();
</script></body></html>
`;
}

// Serves what html() returns at / on an ephemeral loopback port; resolves
// with the origin.
function servePage(html) {
	return new Promise((resolve) => {
		const handler = (req, res) => {
			const found = req.url === '/';
			res.writeHead(found ? 200 : 404, {
				'Content-Type': 'text/html; charset=utf-8',
				'Cache-Control': 'no-store' });
			res.end(found ? html() : '');
		};
		const s = TLS ? https.createServer({ cert: tlsFiles.cert,
			key: tlsFiles.key }, handler) : http.createServer(handler);
		servers.push(s);
		s.listen(0, '127.0.0.1', () => resolve(
			`${TLS ? 'https' : 'http'}://127.0.0.1:${s.address().port}`));
	});
}

// Loads the page of origin and returns what its script reported, plus the
// console messages (Chromium reports a CORS block there) and the daemon's
// answers to the page's GETs of the status.
async function runPage(origin) {
	const ctx = await browser.newContext();
	const p = await ctx.newPage();
	const consoleLines = [];
	const answers = [];
	p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
	p.on('response', (r) => {
		if (r.url().endsWith('/api/v1/budgets/1/status') &&
			r.request().method() === 'GET')
			answers.push(r);
	});
	await p.goto(`${origin}/`, { timeout: 60000 });
	await p.waitForFunction(
		() => document.getElementById('result').textContent !== '',
		null, { timeout: 60000 });
	const result = JSON.parse(await p.textContent('#result'));
	return { ctx, page: p, result, consoleLines, answers };
}

async function main() {
	const bin = path.resolve(process.argv[2] || 'build/npo-budgetd');
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npo-browser-'));
	const db = path.join(tmp, 'npo.db');
	if (TLS)
		tlsFiles = makeCerts(tmp);
	const read = tokenAdd(bin, db, 'dashboard', 'read');
	const write = tokenAdd(bin, db, 'beheer', 'write');

	// The allowed origin's server comes first, as the daemon must be told
	// that origin; the page learns the daemon's address afterwards.
	let html = '';
	const allowed = await servePage(() => html);
	const api = await startDaemon(bin, db, allowed);
	html = page(api, read);
	const other = await servePage(() => html);
	diag(`daemon ${api}, allowed origin ${allowed}, other origin ${other}`);

	// over TLS the test certificate's key, and no other, is trusted
	browser = await launchChromium(CHROMIUM, TLS
		? [`--ignore-certificate-errors-spki-list=${tlsFiles.spki}`] : []);
	diag(`chromium ${browser.version()}${TLS ? ', everything over TLS' : ''}`);

	// 1-4: the dashboard on the allowed origin.
	const a = await runPage(allowed);
	const { first, second } = a.result;
	ok(first && first.status === 200,
		'allowed origin: fetch() of /api/v1/budgets/1/status answers 200',
		JSON.stringify(first));
	const warn = first?.body?.warnings?.find((w) => w.code === 'over_allocated');
	ok(warn && warn.entity === 'budget' && warn.amount_cents === 1149036 &&
		first.body.totals?.unallocated_cents === -1149036,
	'allowed origin: the script reads the over_allocated warning of Hilversum (1149036 cents)',
	JSON.stringify(first?.body?.warnings));
	ok(typeof first?.etag === 'string' && /^"[^"]+"$/.test(first.etag),
		'allowed origin: the script can read the ETag (exposed header)',
		`ETag seen by the script: ${first?.etag}`);
	ok(second && second.status === 304 && second.length === 0,
		'allowed origin: the poll with If-None-Match answers 304 to the script',
		JSON.stringify(second));
	if (TLS) {
		const hsts = await Promise.all(a.answers.map(async (r) =>
			`${r.status()} ${(await r.allHeaders())['strict-transport-security']}`));
		ok(a.result.first && hsts.length >= 2 &&
			hsts.every((h) => h.endsWith(' max-age=31536000')) &&
			a.answers[0].url().startsWith('https://'),
		'over TLS: the page is https, and the daemon\'s 200 and 304 to it carry HSTS',
		JSON.stringify(hsts));
	}

	// 5: after a change the same poll gets the new figures, not a stale 304.
	const patch = await request(`${api}/api/v1/budgets/1`, {
		method: 'PATCH',
		headers: { Authorization: `Bearer ${write}`,
			'Content-Type': 'application/json', 'If-Match': '"1"' },
		body: JSON.stringify({ grant_cents: 215000000 }),
	});
	const third = await a.page.evaluate((etag) => window.poll(etag),
		first?.etag ?? null);
	ok(patch.status === 200 && third.status === 200 &&
		third.etag !== first?.etag &&
		third.body?.totals?.unallocated_cents === 0 &&
		!third.body?.warnings?.some((w) => w.code === 'over_allocated'),
	'allowed origin: after a change the poll answers 200 with a new ETag and the new figures',
	`PATCH ${patch.status}; poll ${JSON.stringify({ status: third.status,
		etag: third.etag, totals: third.body?.totals, error: third.error })}`);
	await a.ctx.close();

	// 6-7: the same page on an origin the daemon does not allow.
	const b = await runPage(other);
	ok(b.result.first?.error?.startsWith('TypeError') && !b.result.second,
		'other origin: fetch() fails with a TypeError',
		JSON.stringify(b.result));
	const cors = b.consoleLines.find((l) => /CORS/.test(l));
	ok(cors !== undefined,
		'other origin: Chromium reports the fetch as blocked by CORS policy',
		`console: ${JSON.stringify(b.consoleLines)}`);
	if (cors)
		diag(cors);
	await b.ctx.close();
}

await run(main, {
	stopAll, deadlineMs: DEADLINE_MS,
	onFailure: () => daemonLog && diag(`daemon log:\n${daemonLog.trimEnd()}`),
});
