// The daemon's own dashboard (/dashboard/, the files of web/) in a real
// browser: Debian's Chromium, driven by playwright-core.
//
//   node tests/clients/dashboard.mjs build/npo-budgetd
//
// It starts, on 127.0.0.1 with ephemeral ports, the daemon with demo data on
// a fresh database (with a read and a write token), and a second one with
// --public-read. Then it checks that the page signs in with a read token and
// refuses a wrong one, that every figure on the front page and on the page
// of Huizen is the API's, formatted in Dutch; that a write made beside the
// page appears on it within 2 s without a reload (through GET
// /api/v1/events); that it falls back to polling and reconnects with
// Last-Event-ID when the events fail; that it says so when the daemon is
// unreachable and recovers; that a revoked or wrong token shows the sign-in
// again; that no URL the page builds holds a token; that axe-core finds no
// serious or critical violation; that it fits 390 px; and that nothing
// goes to the console. Screenshots at 1280 and 390 px go to $NPO_SHOTS
// (tests/meson.build: <build>/tests/dashboard), or ./dashboard-shots.
// Prints TAP; stops everything it started.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { diag, launchChromium, ok, run, sleep, stopProcess, tokenAdd } from './tap.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const f = await import(pathToFileURL(path.join(here, '../../web/format.js')));
const CHROMIUM = process.env.NPO_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.resolve(process.env.NPO_SHOTS || 'dashboard-shots');
const DEADLINE_MS = 280000;
const LIVE_MS = 2000; // a write must show within this, without reload


// Everything started here, to be stopped by stopAll() whatever happens.
const daemons = [];
let browser = null;
let tmp = null;

const stopDaemon = (d) => stopProcess(d.proc);

async function stopAll() {
	if (browser)
		await browser.close().catch(() => {});
	browser = null;
	for (const d of daemons)
		await stopDaemon(d);
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
	tmp = null;
}

for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => {
		for (const d of daemons)
			if (d.proc && d.proc.exitCode === null)
				d.proc.kill('SIGKILL');
		if (tmp)
			fs.rmSync(tmp, { recursive: true, force: true });
		process.exit(1);
	});
}

function cli(bin, args) {
	return execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
		.toString().trim();
}


// Starts a daemon; resolves with { base, proc, log } once it has said its
// port and /readyz answers. listen: 127.0.0.1:0 for an ephemeral port.
function startDaemon(bin, db, extra, listen = '127.0.0.1:0') {
	const d = { proc: null, log: '', base: null };
	daemons.push(d);
	return new Promise((resolve, reject) => {
		d.proc = spawn(bin, ['serve', '--db', db, '--listen', listen,
			'--demo', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
		let timer = setTimeout(() => reject(new Error(
			'the daemon did not say its port within 20 s')), 20000);
		d.proc.stderr.on('data', (chunk) => {
			d.log += chunk;
			const m = /\(port (\d+)\)/.exec(d.log);
			if (m && timer) {
				clearTimeout(timer);
				timer = null;
				resolve(`http://127.0.0.1:${m[1]}`);
			}
		});
		d.proc.once('exit', (code, sig) => {
			if (timer)
				reject(new Error(`the daemon exited (${code ?? sig}) before serving`));
		});
	}).then(async (base) => {
		d.base = base;
		for (let i = 0; i < 100; i++) {
			try {
				if ((await fetch(`${base}/readyz`)).status === 200)
					return d;
			} catch { /* not listening yet */ }
			await sleep(100);
		}
		throw new Error('/readyz did not answer 200 within 10 s');
	});
}

// The API as the test sees it, beside the browser.
function api(base, token) {
	const call = async (method, p, body, headers = {}) => {
		const r = await fetch(`${base}/api/v1${p}`, {
			method,
			headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}),
				...(body ? { 'Content-Type': 'application/json' } : {}),
				...headers },
			body: body ? JSON.stringify(body) : undefined,
		});
		const text = await r.text();
		let json = null;
		try {
			json = f.parseJson(text);
		} catch { /* not JSON */ }
		return { status: r.status, json, etag: r.headers.get('ETag'), text };
	};
	const all = async (p) => {
		const items = [];
		for (let next = p; next;) {
			const r = await call('GET', next);
			if (r.status !== 200)
				throw new Error(`GET ${next}: ${r.status} ${r.text}`);
			items.push(...r.json.items);
			next = r.json.next ? r.json.next.replace(/^.*?\/api\/v1/, '') : null;
		}
		return items;
	};
	return { call, all, get: async (p) => {
		const r = await call('GET', p);
		if (r.status !== 200)
			throw new Error(`GET ${p}: ${r.status} ${r.text}`);
		return r.json;
	} };
}

// A page with its console and errors recorded, and every request it made.
async function openPage(opts = {}) {
	const ctx = await browser.newContext({
		viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
		bypassCSP: !!opts.bypassCSP,
		acceptDownloads: true,
		locale: 'nl-NL',
	});
	const page = await ctx.newPage();
	const rec = { console: [], errors: [], requests: [], phase: 'load' };
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning')
			rec.console.push({ phase: rec.phase, type: m.type(), text: m.text(),
				url: m.location()?.url ?? '' });
	});
	page.on('pageerror', (e) => rec.errors.push(`${rec.phase}: ${e.message}`));
	page.on('request', (r) => rec.requests.push({ url: r.url(),
		method: r.method(), headers: r.headers(), phase: rec.phase }));
	return { ctx, page, rec };
}

const consoleText = (list) => list.map((c) =>
	`[${c.phase}] ${c.type}: ${c.text} (${c.url})`).join('\n');

async function signIn(page, token) {
	await page.waitForSelector('#token', { timeout: 15000 });
	await page.fill('#token', token);
	await page.click('#signin button[type=submit]');
}

// What the page shows as text, by the data- attributes it marks them with.
function readFront(page) {
	return page.evaluate(() => [...document.querySelectorAll('[data-budget]')]
		.map((card) => ({
			id: Number(card.dataset.budget),
			name: card.querySelector('h2')?.textContent ?? '',
			href: card.querySelector('h2 a')?.getAttribute('href') ?? '',
			fields: Object.fromEntries([...card.querySelectorAll('[data-field]')]
				.map((e) => [e.dataset.field, e.textContent])),
			warnings: [...card.querySelectorAll('[data-code]')].map((e) =>
				e.dataset.code),
			bar: [...card.querySelectorAll('.bar .seg')].map((e) => e.style.width),
		})));
}

function readBudget(page) {
	return page.evaluate(() => {
		const fields = (root) => Object.fromEntries([...(root?.querySelectorAll(
			'[data-field]') ?? [])].map((e) => [e.dataset.field, e.textContent]));
		const rows = (attr) => [...document.querySelectorAll(`[data-${attr}]`)]
			.map((e) => ({ id: Number(e.dataset[attr]), fields: fields(e),
				text: e.textContent }));
		return {
			h1: document.querySelector('h1')?.textContent ?? '',
			totals: fields(document.querySelector('[data-part=totals]')),
			warnings: [...document.querySelectorAll('[data-part=warnings] [data-code]')]
				.map((e) => ({ code: e.dataset.code,
					text: e.querySelector('.warning-text')?.textContent ?? '' })),
			goals: rows('goal').map((g) => ({ ...g, title:
				document.querySelector(`[data-goal="${g.id}"] h3`)?.textContent })),
			programmes: rows('programme'),
			plans: rows('plan'),
			reallocations: rows('reallocation'),
			downloads: [...document.querySelectorAll('a[data-download]')].map((a) =>
				({ href: a.getAttribute('href'), name: a.dataset.download })),
		};
	});
}

// Every difference between what a card shows and the summary row.
function diffFront(cards, summary) {
	const bad = [];
	if (cards.length !== summary.items.length)
		bad.push(`${cards.length} cards for ${summary.items.length} budgets`);
	for (const row of summary.items) {
		const c = cards.find((x) => x.id === row.budget_id);
		if (!c) {
			bad.push(`no card for budget ${row.budget_id}`);
			continue;
		}
		if (c.name !== row.municipality_name)
			bad.push(`budget ${row.budget_id}: name ${c.name}`);
		if (c.href !== `#/budget/${row.budget_id}`)
			bad.push(`budget ${row.budget_id}: link ${c.href}`);
		for (const k of ['grant_cents', 'committed_cents', 'spent_cents',
			'remaining_cents', 'expected_return_cents']) {
			if (c.fields[k] !== f.euro(row[k]))
				bad.push(`budget ${row.budget_id} ${k}: page ${c.fields[k]}, API ${row[k]} = ${f.euro(row[k])}`);
		}
		const until = `${f.date(row.spend_until)} (${f.deadline(summary.as_of, row.spend_until)})`;
		if (c.fields.spend_until !== until)
			bad.push(`budget ${row.budget_id} spend_until: page ${c.fields.spend_until}, expected ${until}`);
		const codes = [...new Set(row.warnings)];
		if (JSON.stringify(c.warnings) !== JSON.stringify(codes))
			bad.push(`budget ${row.budget_id} warnings: page ${c.warnings}, API ${codes}`);
		const cw = `${f.basisPoints(row.committed_cents, row.grant_cents) / 100}%`;
		const sw = `${f.basisPoints(row.spent_cents, row.grant_cents) / 100}%`;
		if (c.bar[0] !== cw || c.bar[1] !== sw)
			bad.push(`budget ${row.budget_id} bar: ${c.bar}, expected ${cw},${sw}`);
	}
	return bad;
}

function diffBudget(dom, status, programmes, plans, reallocations) {
	const bad = [];
	const eq = (what, page, want) => {
		if (page !== want)
			bad.push(`${what}: page ${JSON.stringify(page)}, API ${JSON.stringify(want)}`);
	};
	let n = 0;
	if (!dom.h1.startsWith(status.budget.municipality_name))
		bad.push(`h1 ${dom.h1}`);
	for (const [k, v] of Object.entries(status.totals)) {
		eq(`totals ${k}`, dom.totals[k], f.euro(v));
		n++;
	}
	eq('warnings', dom.warnings.length, status.warnings.length);
	status.warnings.forEach((w, i) => {
		eq(`warning ${i} code`, dom.warnings[i]?.code, w.code);
		eq(`warning ${i} message`, dom.warnings[i]?.text, w.message);
		n++;
	});
	eq('goals', dom.goals.length, status.goals.length);
	for (const g of status.goals) {
		const d = dom.goals.find((x) => x.id === g.id);
		eq(`goal ${g.id} title`, d?.title, `${g.code}. ${g.name}`);
		for (const k of ['allocated_cents', 'committed_cents', 'spent_cents']) {
			eq(`goal ${g.id} ${k}`, d?.fields[k], f.euro(g[k]));
			n++;
		}
	}
	eq('programmes', dom.programmes.length, status.programmes.length);
	for (const p of status.programmes) {
		const d = dom.programmes.find((x) => x.id === p.id);
		const full = programmes.find((x) => x.id === p.id);
		eq(`programme ${p.id} name`, d?.fields.name, p.name);
		eq(`programme ${p.id} partner`, d?.fields.partner, full?.partner ?? '—');
		eq(`programme ${p.id} owner`, d?.fields.owner, full?.owner ?? '—');
		eq(`programme ${p.id} status`, d?.fields.status, f.PROGRAMME_STATUS[p.status]);
		for (const k of ['budget_cents', 'committed_cents', 'spent_cents', 'remaining_cents']) {
			eq(`programme ${p.id} ${k}`, d?.fields[k], f.euro(p[k]));
			n++;
		}
	}
	eq('plans', dom.plans.length, plans.length);
	for (const p of plans) {
		const d = dom.plans.find((x) => x.id === p.id);
		eq(`plan ${p.id} title`, d?.fields.title, p.title);
		eq(`plan ${p.id} status`, d?.fields.status, f.PLAN_STATUS[p.status]);
		if (!d?.text.includes(p.school_year))
			bad.push(`plan ${p.id}: no school year ${p.school_year}`);
		for (const k of ['requested_cents', 'approved_cents', 'spent_cents', 'open_cents']) {
			eq(`plan ${p.id} ${k}`, d?.fields[k], f.euro(p[k]));
			n++;
		}
	}
	eq('reallocations', dom.reallocations.length, reallocations.length);
	for (const r of reallocations) {
		const d = dom.reallocations.find((x) => x.id === r.id);
		eq(`reallocation ${r.id} amount`, d?.fields.amount_cents, f.euro(r.amount_cents));
		if (!d?.text.includes(f.date(r.decided_on)))
			bad.push(`reallocation ${r.id}: no date ${f.date(r.decided_on)}`);
		n++;
	}
	return { bad, n };
}

// The PNG's width and height (IHDR) and, drawn on a canvas in a blank page,
// how many colours it has and how much of it the commonest one covers.
async function pngStats(file) {
	const buf = fs.readFileSync(file);
	const width = buf.readUInt32BE(16);
	const height = buf.readUInt32BE(20);
	const ctx = await browser.newContext();
	const p = await ctx.newPage();
	const stats = await p.evaluate(async (src) => {
		const img = new Image();
		img.src = src;
		await img.decode();
		const c = document.createElement('canvas');
		c.width = img.width;
		c.height = img.height;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		const counts = new Map();
		for (let i = 0; i < d.length; i += 4 * 7) {
			const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
			counts.set(k, (counts.get(k) ?? 0) + 1);
		}
		const total = d.length / (4 * 7);
		return { colours: counts.size, top: Math.max(...counts.values()) / total };
	}, `data:image/png;base64,${buf.toString('base64')}`);
	await ctx.close();
	return { width, height, bytes: buf.length, ...stats };
}

async function shot(page, name, width, fullPage = true) {
	fs.mkdirSync(SHOTS, { recursive: true });
	const file = path.join(SHOTS, name);
	await page.mouse.move(0, 0);
	await page.screenshot({ path: file, fullPage });
	const s = await pngStats(file);
	ok(s.width === width && s.bytes > 20000 && s.colours > 40 && s.top < 0.95,
		`screenshot ${name}: ${s.width}x${s.height}, ${Math.round(s.bytes / 1024)} KB, ${s.colours} colours, not blank`,
		JSON.stringify(s));
	return file;
}

async function axe(page, what) {
	await page.addScriptTag({ path: path.join(here, 'node_modules/axe-core/axe.min.js') });
	const res = await page.evaluate(async () => {
		// eslint-disable-next-line no-undef
		const r = await axe.run(document, { resultTypes: ['violations'] });
		return r.violations.map((v) => ({ id: v.id, impact: v.impact,
			help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
	});
	const grave = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	ok(grave.length === 0,
		`axe-core: no serious or critical violation on the ${what}`,
		JSON.stringify(grave, null, 1));
	for (const v of res.filter((x) => !grave.includes(x)))
		diag(`axe (${v.impact}) ${v.id}: ${v.help} ${v.nodes.join(', ')}`);
}

const waitLive = (page, mode, timeout) => page.waitForFunction(
	(m) => document.documentElement.dataset.live === m, mode, { timeout });

async function main() {
	const bin = path.resolve(process.argv[2] || 'build/npo-budgetd');
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npo-dashboard-'));
	const db = path.join(tmp, 'npo.db');
	const read = tokenAdd(bin, db, 'dashboard', 'read');
	const spare = tokenAdd(bin, db, 'kwijt', 'read');
	const write = tokenAdd(bin, db, 'beheer', 'write');
	const d = await startDaemon(bin, db, []);
	const pubDb = path.join(tmp, 'public.db');
	const pub = await startDaemon(bin, pubDb, ['--public-read']);
	const A = api(d.base, write);
	diag(`daemon ${d.base}, public-read daemon ${pub.base}, screenshots in ${SHOTS}`);

	// The notation the comparisons below rely on, against the daemon's own.
	const huizen = await A.get('/budgets/2/status');
	const msgs = huizen.warnings.every((w) => w.message.includes(f.euro(w.amount_cents)));
	ok(f.euro(68390100) === '€ 683.901,00' && f.euro(-1149036) === '€ -11.490,36' &&
		f.euro(0) === '€ 0,00' && f.euro(7) === '€ 0,07' &&
		f.euro(100000000000000000n) === '€ 1.000.000.000.000.000,00' &&
		f.date('2025-07-31') === '31 juli 2025' &&
		f.daysBetween('2024-02-28', '2024-03-01') === 2 && msgs,
	'format.js writes € 683.901,00 and 31 juli 2025, as the daemon\'s messages do',
	JSON.stringify(huizen.warnings));

	const home = await fetch(`${d.base}/`, { redirect: 'manual' });
	const index = await fetch(`${d.base}/dashboard/`);
	const csp = index.headers.get('Content-Security-Policy') ?? '';
	ok(home.status === 302 && home.headers.get('Location') === '/dashboard/' &&
		index.status === 200 && /script-src 'self'/.test(csp) &&
		!/unsafe-inline/.test(csp),
	'/ redirects to /dashboard/, served with a CSP without unsafe-inline',
	`${home.status} ${home.headers.get('Location')}; ${index.status} ${csp}`);

	browser = await launchChromium(CHROMIUM);
	diag(`chromium ${browser.version()}`);

	// --- signing in -------------------------------------------------------
	const m = await openPage();
	const { page, rec } = m;
	await page.goto(`${d.base}/`, { timeout: 60000 });
	await page.waitForSelector('#token', { timeout: 15000 });
	const signin = await page.evaluate(() => ({
		lang: document.documentElement.lang,
		label: document.querySelector('label[for=token]')?.textContent,
		h1: document.querySelector('h1')?.textContent,
		url: location.pathname,
	}));
	ok(signin.lang === 'nl' && signin.label === 'Leestoken' &&
		signin.h1 === 'Inloggen' && signin.url === '/dashboard/',
	'without a token the page (via / → /dashboard/) asks for a read token, in Dutch',
	JSON.stringify(signin));

	rec.phase = 'wrong token';
	await signIn(page, 'npo_' + '0'.repeat(64));
	await page.waitForFunction(() => {
		const e = document.getElementById('signin-error');
		return e && !e.hidden && e.textContent;
	}, null, { timeout: 10000 });
	const wrong = await page.evaluate(() => ({
		error: document.getElementById('signin-error').textContent,
		stored: sessionStorage.length,
		invalid: document.getElementById('token').getAttribute('aria-invalid'),
	}));
	ok(/onjuist/.test(wrong.error) && wrong.stored === 0 && wrong.invalid === 'true',
		'a wrong token keeps the sign-in, with a message in Dutch, and is not stored',
		JSON.stringify(wrong));

	rec.phase = 'signed in';
	await signIn(page, read);
	await page.waitForSelector('[data-budget]', { timeout: 15000 });
	const stored = await page.evaluate((k) => sessionStorage.getItem(k),
		'npo-budgetd.token');
	ok(stored === read, 'the read token is kept in sessionStorage');

	// --- the front page ---------------------------------------------------
	let summary = await A.get('/status');
	let cards = await readFront(page);
	let bad = diffFront(cards, summary);
	ok(bad.length === 0,
		`front page: every figure of ${summary.items.length} cards equals GET /api/v1/status`,
		bad.join('\n'));

	const evStart = Date.now();
	const live = await waitLive(page, 'events', 10000).then(() => true, () => false);
	ok(live, 'the page follows GET /api/v1/events (fetch with Authorization)',
		`data-live=${await page.evaluate(() => document.documentElement.dataset.live)} after ${Date.now() - evStart} ms`);
	const evReq = rec.requests.find((r) => r.url.endsWith('/api/v1/events'));
	ok(evReq && evReq.headers.authorization === `Bearer ${read}`,
		'the events request carries the token in the Authorization header',
		JSON.stringify(evReq?.headers));

	await shot(page, 'dashboard-front-1280.png', 1280);

	// --- the budget page of Huizen ----------------------------------------
	await page.click('a[href="#/budget/2"]');
	await page.waitForSelector('[data-part=totals]', { timeout: 15000 });
	const loadBudgetApi = async () => ({
		status: await A.get('/budgets/2/status'),
		programmes: await A.all('/programmes?budget_id=2'),
		plans: await A.all('/plans?budget_id=2'),
		reallocations: await A.all('/reallocations?budget_id=2'),
	});
	let b = await loadBudgetApi();
	let dom = await readBudget(page);
	let diff = diffBudget(dom, b.status, b.programmes, b.plans, b.reallocations);
	ok(diff.bad.length === 0 && diff.n > 50,
		`budget page of Huizen: ${diff.n} figures, names, statuses and warnings equal the API's`,
		diff.bad.join('\n'));
	ok(dom.downloads.length === 2 &&
		dom.downloads[0].href === '/api/v1/budgets/2/status?format=csv&dialect=excel-nl' &&
		dom.downloads[1].href === '/api/v1/budgets/2/overview.xlsx',
	'budget page: links to the CSV (excel-nl) and the workbook',
	JSON.stringify(dom.downloads));

	const dl = page.waitForEvent('download', { timeout: 15000 });
	await page.click('a[data-download$=".csv"]');
	const file = await dl.then((x) => x.path()).then((p) => fs.readFileSync(p),
		() => null);
	ok(file && file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf &&
		/;/.test(file.toString()) && /683901,00/.test(file.toString()),
	'the CSV link saves the excel-nl status (BOM, ;, decimal comma)',
	file ? file.toString().slice(0, 200) : 'no download');

	await shot(page, 'dashboard-huizen-1280.png', 1280);
	// the first screen of it, as docs/dashboard.png shows it
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot(page, 'dashboard-huizen-1280-top.png', 1280, false);

	// --- a write beside the page shows on it within 2 s -------------------
	await page.evaluate(() => {
		window.npoNoReload = 1;
	});
	const prog = await A.call('GET', '/programmes/10');
	const exp = await A.call('POST', '/expenditures', {
		programme_id: 10, amount_cents: 123456, spent_on: '2025-03-03',
		description: 'extra begeleiding (dashboardtest)', reference: 'DASH-1',
	});
	const before = dom.totals.spent_cents;
	const wantSpent = f.euro(f.toCents(b.status.totals.spent_cents) + 123456n);
	const t0 = Date.now();
	const approve = await A.call('POST', `/expenditures/${exp.json?.id}/status`,
		{ status: 'approved' }, { 'If-Match': exp.etag ?? '"1"' });
	const seen = await page.waitForFunction((want) =>
		document.querySelector('[data-part=totals] [data-field=spent_cents]')
			?.textContent === want, wantSpent, { timeout: LIVE_MS + 3000,
		polling: 'raf' }).then(() => Date.now() - t0, () => null);
	const mode = await page.evaluate(() => document.documentElement.dataset.live);
	ok(exp.status === 201 && approve.status === 200 && seen !== null &&
		seen <= LIVE_MS && mode === 'events',
	`an approved expenditure (curl-like fetch) shows on the open page within 2 s (${seen ?? 'never'} ms; ${before} → ${wantSpent})`,
	`mode ${mode}; POST ${exp.status} ${exp.text.slice(0, 200)}; approve ${approve.status} ${approve.text.slice(0, 200)}`);

	const t1 = Date.now();
	const rename = await A.call('PATCH', '/programmes/10',
		{ name: 'Versterking begeleidingsteam (live)' }, { 'If-Match': prog.etag });
	const renamed = await page.waitForFunction(() =>
		document.querySelector('[data-programme="10"] [data-field=name]')
			?.textContent === 'Versterking begeleidingsteam (live)', null,
	{ timeout: LIVE_MS + 3000, polling: 'raf' }).then(() => Date.now() - t1, () => null);
	const still = await page.evaluate(() => window.npoNoReload);
	ok(rename.status === 200 && renamed !== null && renamed <= LIVE_MS && still === 1,
		`a renamed programme shows within 2 s, without a reload (${renamed ?? 'never'} ms)`,
		`PATCH ${rename.status} ${rename.text.slice(0, 200)}; reload marker ${still}`);

	b = await loadBudgetApi();
	dom = await readBudget(page);
	diff = diffBudget(dom, b.status, b.programmes, b.plans, b.reallocations);
	ok(diff.bad.length === 0, 'after the writes every figure of the budget page still equals the API\'s',
		diff.bad.join('\n'));

	const inm = rec.requests.filter((r) => r.headers['if-none-match']);
	ok(inm.length > 0, `the page re-fetches with If-None-Match (${inm.length} requests)`);

	await page.click('a[href="#/"]');
	await page.waitForSelector('[data-budget]', { timeout: 15000 });
	summary = await A.get('/status');
	cards = await readFront(page);
	bad = diffFront(cards, summary);
	ok(bad.length === 0 && cards.find((c) => c.id === 2)?.fields.spent_cents === wantSpent,
		'front page after the writes: the card of Huizen shows the new spent figure',
		bad.join('\n'));

	// --- no token in any URL, nothing on the console -----------------------
	const leaks = rec.requests.filter((r) => /access_token|npo_[0-9a-f]{8}/.test(r.url));
	ok(leaks.length === 0, `no URL the page requested holds a token (${rec.requests.length} requests)`,
		leaks.map((r) => r.url).join('\n'));
	const signedIn = rec.console.filter((c) => c.phase === 'signed in');
	const before401 = rec.console.filter((c) => c.phase !== 'signed in' &&
		!(c.type === 'error' && / 401 /.test(c.text) && c.url.endsWith('/api/v1/status')));
	ok(signedIn.length === 0 && before401.length === 0 && rec.errors.length === 0,
		'no console error or warning (before signing in only the 401s of GET /api/v1/status that ask for a token)',
		consoleText(rec.console) + rec.errors.join('\n'));

	// --- a token that stops working shows the sign-in again ----------------
	rec.phase = 'revoked';
	await page.click('a[href="#/budget/2"]');
	await page.waitForSelector('[data-part=totals]', { timeout: 15000 });
	cli(bin, ['token', 'revoke', 'dashboard', '--db', db]);
	await A.call('PATCH', '/programmes/10', { name: 'Versterking begeleidingsteam basisscholen' },
		{ 'If-Match': (await A.call('GET', '/programmes/10')).etag });
	const back = await page.waitForSelector('#token', { timeout: 10000 })
		.then(() => page.evaluate(() => ({
			error: document.getElementById('signin-error')?.textContent,
			stored: sessionStorage.getItem('npo-budgetd.token'),
		})), () => null);
	ok(back && /niet \(meer\) geaccepteerd/.test(back.error) && back.stored === null,
		'a token revoked while the page is open: the next update shows the sign-in again, with a message',
		JSON.stringify(back));
	await m.ctx.close();

	// A token in sessionStorage that the daemon does not know, at load.
	const s = await openPage();
	await s.page.goto(`${d.base}/dashboard/`);
	await s.page.evaluate(() => sessionStorage.setItem('npo-budgetd.token',
		'npo_' + 'f'.repeat(64)));
	await s.page.reload();
	const again = await s.page.waitForSelector('#token', { timeout: 10000 })
		.then(() => s.page.textContent('#signin-error'), () => null);
	ok(again && /niet \(meer\) geaccepteerd/.test(again),
		'a wrong token kept from before shows the sign-in again, with a message', again);
	await s.ctx.close();

	// --- 390 px -------------------------------------------------------------
	const n = await openPage({ width: 390, height: 844 });
	await n.page.goto(`${d.base}/dashboard/`);
	await signIn(n.page, spare);
	await n.page.waitForSelector('[data-budget]', { timeout: 15000 });
	const fit = async () => n.page.evaluate(() =>
		document.documentElement.scrollWidth);
	const frontWidth = await fit();
	await shot(n.page, 'dashboard-front-390.png', 390);
	await n.page.click('a[href="#/budget/2"]');
	await n.page.waitForSelector('[data-part=totals]', { timeout: 15000 });
	const budgetWidth = await fit();
	const stacked = await n.page.evaluate(() => {
		const r = [...document.querySelectorAll('[data-programme]')].slice(0, 2)
			.map((e) => e.getBoundingClientRect());
		return r.length === 2 && r[1].top >= r[0].bottom && r[0].width <= 390;
	});
	ok(frontWidth <= 390 && budgetWidth <= 390 && stacked,
		'at 390 px nothing is wider than the screen and table rows stack',
		`scrollWidth front ${frontWidth}, budget ${budgetWidth}; stacked ${stacked}`);
	await shot(n.page, 'dashboard-huizen-390.png', 390);
	ok(n.rec.console.filter((c) => c.phase !== 'load' || !/ 401 /.test(c.text)).length === 0 &&
		n.rec.errors.length === 0, 'at 390 px: no console error', consoleText(n.rec.console));
	await n.ctx.close();

	// --- accessibility (axe-core; bypassCSP only here, to inject it) --------
	const x = await openPage({ bypassCSP: true });
	await x.page.goto(`${d.base}/dashboard/`);
	await x.page.waitForSelector('#token');
	await axe(x.page, 'sign-in');
	await signIn(x.page, spare);
	await x.page.waitForSelector('[data-budget]', { timeout: 15000 });
	await axe(x.page, 'front page');
	await x.page.click('a[href="#/budget/2"]');
	await x.page.waitForSelector('[data-part=totals]', { timeout: 15000 });
	await axe(x.page, 'budget page of Huizen');
	await x.ctx.close();

	// --- fallback: no events → polling every 5 s; Last-Event-ID -----------
	const p = await openPage();
	let evCalls = [];
	await p.ctx.route('**/api/v1/events', (route) => {
		evCalls.push(route.request().headers());
		// the first answers one event and ends; the rest fail like a 404
		if (evCalls.length === 1)
			return route.fulfill({ status: 200, contentType: 'text/event-stream',
				body: 'retry: 1000\n\nid: 7\nevent: revision\ndata: {"revision":7}\n\n' });
		return route.fulfill({ status: 404, contentType: 'application/problem+json',
			body: '{"type":"about:blank","title":"Not Found","status":404,"code":"not_found","detail":"no such route"}' });
	});
	await p.page.goto(`${d.base}/dashboard/`);
	await signIn(p.page, spare);
	await p.page.waitForSelector('[data-budget]', { timeout: 15000 });
	const polling = await waitLive(p.page, 'polling', 10000).then(() => true, () => false);
	await p.page.waitForFunction(() => true, null, { timeout: 100 });
	for (let i = 0; i < 40 && evCalls.length < 2; i++)
		await sleep(100);
	ok(polling && evCalls.length >= 2 && evCalls[1]['last-event-id'] === '7',
		'when the events stream ends the page polls, and reconnects with Last-Event-ID',
		`mode polling: ${polling}; events requests: ${JSON.stringify(evCalls.map((h) => h['last-event-id'] ?? null))}`);
	const before304 = p.rec.requests.length;
	const e2 = await A.call('POST', '/expenditures', {
		programme_id: 10, amount_cents: 5000, spent_on: '2025-03-04',
		description: 'poll test', reference: 'DASH-2' });
	await A.call('POST', `/expenditures/${e2.json?.id}/status`, { status: 'approved' },
		{ 'If-Match': e2.etag });
	const s2 = (await A.get('/status')).items.find((r) => r.budget_id === 2);
	const tp = Date.now();
	const polled = await p.page.waitForFunction((want) =>
		document.querySelector('[data-budget="2"] [data-field=spent_cents]')?.textContent === want,
	f.euro(s2.spent_cents), { timeout: 9000 }).then(() => Date.now() - tp, () => null);
	const polls = p.rec.requests.slice(before304).filter((r) =>
		r.url.endsWith('/api/v1/status') && r.headers['if-none-match']);
	ok(polled !== null && polls.length >= 1,
		`while polling a write shows within one poll (${polled ?? 'never'} ms), asked with If-None-Match`,
		`${polls.length} polls with If-None-Match`);
	await p.ctx.close();

	// --- --public-read: no sign-in; the daemon gone and back ---------------
	const q = await openPage();
	await q.page.goto(`${pub.base}/dashboard/`);
	const pubCards = await q.page.waitForSelector('[data-budget]', { timeout: 15000 })
		.then(() => readFront(q.page), () => []);
	const pubSummary = await api(pub.base, '').get('/status');
	bad = diffFront(pubCards, pubSummary);
	const signout = await q.page.isVisible('#signout');
	ok(pubCards.length === 2 && bad.length === 0 && !signout &&
		!(await q.page.$('#token')),
	'--public-read: the page shows the figures without a sign-in',
	bad.join('\n'));
	await waitLive(q.page, 'events', 10000).catch(() => {});
	ok(q.rec.console.length === 0 && q.rec.errors.length === 0,
		'--public-read: no console error or warning', consoleText(q.rec.console));

	q.rec.phase = 'daemon gone';
	const port = new URL(pub.base).port;
	await stopDaemon(pub);
	const gone = await q.page.waitForFunction(() => {
		const b = document.getElementById('banner');
		return b && !b.hidden && /niet bereikbaar/.test(b.textContent);
	}, null, { timeout: 12000 }).then(() => true, () => false);
	ok(gone, 'the daemon stopped: a banner says in Dutch that it cannot be reached',
		await q.page.textContent('#banner'));
	await startDaemon(bin, pubDb, ['--public-read'], `127.0.0.1:${port}`);
	const recovered = await q.page.waitForFunction(() =>
		document.getElementById('banner').hidden &&
		document.documentElement.dataset.live === 'events', null,
	{ timeout: 45000 }).then(() => true, () => false);
	ok(recovered, 'the daemon back: the banner goes and the page follows the events again',
		`banner hidden ${await q.page.isHidden('#banner')}, live ${await q.page.evaluate(() =>
			document.documentElement.dataset.live)}`);
	await q.ctx.close();
}

await run(main, {
	stopAll, deadlineMs: DEADLINE_MS,
	onFailure: () => {
		for (const d of daemons)
			if (d.log)
				diag(`daemon ${d.base} log (last 40 lines):\n${d.log.trimEnd().split('\n').slice(-40).join('\n')}`);
	},
});
