// The dashboard of npo-budgetd: a front page with a card per budget and a
// page per budget (#/budget/N), read from the daemon's own API with a read
// token (sessionStorage) or none (--public-read). It updates itself: it
// reads the server-sent events of GET /api/v1/events with fetch() (so the
// token goes in the Authorization header, never in a URL) and re-fetches
// what it shows with If-None-Match on every revision; while the events do
// not answer it polls every 5 s instead and reconnects with Last-Event-ID.
//
// No inline script or style: the page's Content-Security-Policy forbids
// them. Widths of bars are set through the CSSOM (element.style.width).
import * as f from './format.js';

const API = '/api/v1';
const TOKEN_KEY = 'npo-budgetd.token';
const POLL_MS = 5000;
const STALE_MS = 40000; // no byte for this long (heartbeat: 15 s): reconnect
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;

const state = {
	token: null,
	live: false, // signed in (or public): fetching and following events
	cache: new Map(), // API path → { etag, data }
	route: { view: 'front' },
	rendered: null, // key of what main shows now
	mode: 'starting', // events | polling | offline | signin
	lastEventId: null,
	revision: null,
	events: null, // AbortController of the open events stream
	backoff: BACKOFF_MIN_MS,
	pollTimer: null,
	checkedAt: null,
	focusHeading: false,
	gen: 0, // one per sign-in, so an old events loop knows to stop
};

const $ = (id) => document.getElementById(id);

// --- the API ------------------------------------------------------------------

class AuthError extends Error {
	constructor(problem) {
		super(problem?.detail || 'unauthorized');
		this.problem = problem;
	}
}
class NetError extends Error {}
class HttpError extends Error {
	constructor(status, problem) {
		super(problem?.detail || `HTTP ${status}`);
		this.status = status;
		this.problem = problem;
	}
}

function authHeaders(extra) {
	const h = { ...extra };
	if (state.token)
		h.Authorization = `Bearer ${state.token}`;
	return h;
}

function problemOf(text) {
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

// GET of an API path (after /api/v1) with If-None-Match from the cache:
// { data, changed }. cache: 'no-store' keeps the browser's HTTP cache out,
// so the 304 reaches this script and the cache here is the only one.
async function get(path) {
	const cached = state.cache.get(path);
	const headers = authHeaders({ Accept: 'application/json' });
	if (cached?.etag)
		headers['If-None-Match'] = cached.etag;
	let r;
	try {
		r = await fetch(API + path, { headers, cache: 'no-store' });
	} catch (e) {
		throw new NetError(e.message);
	}
	if (r.status === 304 && cached)
		return { data: cached.data, changed: false };
	const text = await r.text();
	if (r.status === 401)
		throw new AuthError(problemOf(text));
	if (!r.ok)
		throw new HttpError(r.status, problemOf(text));
	const data = f.parseJson(text);
	state.cache.set(path, { etag: r.headers.get('ETag'), data });
	return { data, changed: true };
}

// Every item of a list, following `next` (a path under /api/v1).
async function getAll(path) {
	const items = [];
	let changed = false;
	for (let p = path, n = 0; p && n < 100; n++) {
		const r = await get(p);
		changed ||= r.changed;
		items.push(...r.data.items);
		p = r.data.next ? r.data.next.replace(/^.*?\/api\/v1/, '') : null;
	}
	return { data: items, changed };
}

// --- building the page ----------------------------------------------------------

// h('p', {class: 'x'}, 'text', child…): an element. Attributes are set one
// by one (never `style`: the policy forbids inline style).
function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs ?? {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === 'class')
			el.className = v;
		else if (k === 'text')
			el.textContent = v;
		else if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

const money = (cents, field) =>
	h('span', { class: 'amount', 'data-field': field }, f.euro(cents));

// A bar: a track for `whole`, with one segment per [class, part]. Widths
// are hundredths of a percent, made by integer division, set through the
// CSSOM; a part beyond the whole fills the track and marks it as over.
function bar(whole, parts, label, cls = '') {
	const track = h('div', { class: `bar ${cls}`, role: 'img',
		'aria-label': label });
	for (const [kind, part] of parts) {
		const bp = f.basisPoints(part, whole);
		const seg = h('div', { class: `seg seg-${kind}` });
		seg.style.width = `${Math.min(bp, 10000) / 100}%`;
		if (bp > 10000)
			track.classList.add('over');
		track.append(seg);
	}
	return track;
}

function legend(items) {
	return h('ul', { class: 'legend', 'aria-hidden': 'true' },
		items.map(([kind, text]) => h('li', {},
			h('span', { class: `swatch seg-${kind}` }), text)));
}

function figure(term, cents, field, extra) {
	return h('div', { class: 'fig' }, h('dt', {}, term),
		h('dd', {}, money(cents, field), extra ?? null));
}

function section(id, title, ...content) {
	return h('section', { class: 'block', 'aria-labelledby': id },
		h('h2', { id }, title), ...content);
}

// A table that reflows into one block per row on a narrow screen; every
// cell carries its column's name for that (data-label). groups: [{title,
// rows}], a tbody each, headed by its title when it has one.
function tableGroups(caption, columns, groups, cls = '') {
	const tr = (row) => h('tr', row.attrs ?? {}, columns.map((c, i) => {
		const first = i === 0;
		return h(first ? 'th' : 'td', {
			scope: first ? 'row' : null,
			class: c.num ? 'num' : null,
			'data-label': c.title,
		}, row.cells[i]);
	}));
	return h('div', { class: 'table-wrap' },
		h('table', { class: `reflow ${cls}` },
			caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
			h('thead', {}, h('tr', {}, columns.map((c) =>
				h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)))),
			groups.map((g) => h('tbody', {},
				g.title ? h('tr', { class: 'group' }, h('th', {
					scope: 'rowgroup', colspan: columns.length }, g.title)) : null,
				g.rows.map(tr)))));
}

const table = (caption, columns, rows, cls) =>
	tableGroups(caption, columns, [{ rows }], cls);

function deadlineText(asOf, until) {
	const d = f.deadline(asOf, until);
	return d ? `${f.date(until)} (${d})` : f.date(until);
}

// --- the front page -------------------------------------------------------------

function summaryWarnings(codes) {
	if (!codes?.length)
		return h('p', { class: 'ok' }, 'Geen signaleringen');
	const seen = new Map();
	for (const c of codes)
		seen.set(c, (seen.get(c) ?? 0) + 1);
	return h('ul', { class: 'warnings compact', 'aria-label': 'Signaleringen' },
		[...seen].map(([c, n]) => h('li', { class: `warning w-${c}`,
			'data-code': c }, f.label(f.WARNING, c), n > 1 ? ` (${n}×)` : '')));
}

function card(row, asOf) {
	const id = row.budget_id;
	const titleId = `card-${id}`;
	const head = h('h2', { id: titleId },
		h('a', { href: `#/budget/${id}`, class: 'card-link' },
			row.municipality_name));
	const sub = h('p', { class: 'sub' }, `${row.name} · ${row.municipality_code}`);
	if (row.error) {
		return h('li', { class: 'card', 'data-budget': id },
			h('article', { 'aria-labelledby': titleId }, head, sub,
				h('p', { class: 'error' },
					'De cijfers van deze begroting zijn niet te berekenen: ',
					row.error.detail)));
	}
	const cBp = f.basisPoints(row.committed_cents, row.grant_cents);
	const sBp = f.basisPoints(row.spent_cents, row.grant_cents);
	return h('li', { class: 'card', 'data-budget': id },
		h('article', { 'aria-labelledby': titleId }, head, sub,
			bar(row.grant_cents, [['committed', row.committed_cents],
				['spent', row.spent_cents]],
			`Verplicht ${f.percent(cBp)} en gerealiseerd ${f.percent(sBp)} van de toekenning`),
			legend([['committed', `verplicht ${f.percent(cBp)}`],
				['spent', `gerealiseerd ${f.percent(sBp)}`]]),
			h('dl', { class: 'figures' },
				figure('Toekenning', row.grant_cents, 'grant_cents'),
				figure('Verplicht', row.committed_cents, 'committed_cents'),
				figure('Gerealiseerd', row.spent_cents, 'spent_cents'),
				figure('Resterend', row.remaining_cents, 'remaining_cents'),
				figure('Verwachte terugbetaling', row.expected_return_cents,
					'expected_return_cents'),
				h('div', { class: 'fig wide' }, h('dt', {}, 'Besteden tot en met'),
					h('dd', { 'data-field': 'spend_until' },
						deadlineText(asOf, row.spend_until)))),
			summaryWarnings(row.warnings)));
}

async function loadFront() {
	const r = await get('/status');
	return { changed: r.changed, key: 'front', render: () => renderFront(r.data) };
}

function renderFront(summary) {
	document.title = 'NPO-middelen per gemeente';
	const items = summary.items ?? [];
	return [
		h('h1', { tabindex: '-1' }, 'NPO-middelen per gemeente'),
		h('p', { class: 'lead' }, `Stand op ${f.date(summary.as_of)}. `,
			'Elke kaart toont de toekenning, wat daarvan verplicht en gerealiseerd is, wat resteert en wat naar verwachting terug gaat naar het Rijk.'),
		items.length ?
			h('ul', { class: 'cards' }, items.map((row) => card(row, summary.as_of))) :
			h('p', {}, 'Er zijn nog geen begrotingen.'),
	];
}

// --- a budget's page --------------------------------------------------------------

async function loadBudget(id) {
	const [status, programmes, plans, reallocations] = await Promise.all([
		get(`/budgets/${id}/status`),
		getAll(`/programmes?budget_id=${id}&limit=1000`),
		getAll(`/plans?budget_id=${id}&limit=1000`),
		getAll(`/reallocations?budget_id=${id}&limit=1000`),
	]);
	return {
		changed: status.changed || programmes.changed || plans.changed ||
			reallocations.changed,
		key: `budget:${id}`,
		render: () => renderBudget(status.data, programmes.data, plans.data,
			reallocations.data),
	};
}

function totalsBlock(t, asOf, b) {
	const cBp = f.basisPoints(t.committed_cents, t.grant_cents);
	const sBp = f.basisPoints(t.spent_cents, t.grant_cents);
	return section('s-totals', 'Kerncijfers',
		bar(t.grant_cents, [['committed', t.committed_cents], ['spent', t.spent_cents]],
			`Verplicht ${f.percent(cBp)} en gerealiseerd ${f.percent(sBp)} van de toekenning`,
			'bar-large'),
		legend([['committed', `verplicht ${f.percent(cBp)} van de toekenning`],
			['spent', `gerealiseerd ${f.percent(sBp)}`]]),
		h('dl', { class: 'figures totals', 'data-part': 'totals' },
			figure('Toekenning', t.grant_cents, 'grant_cents'),
			figure('Toegewezen aan doelen', t.allocated_cents, 'allocated_cents'),
			figure('Niet toegewezen', t.unallocated_cents, 'unallocated_cents'),
			figure('Geprogrammeerd', t.programmed_cents, 'programmed_cents'),
			figure('Verplicht', t.committed_cents, 'committed_cents'),
			figure('Niet verplicht', t.uncommitted_cents, 'uncommitted_cents'),
			figure('Gerealiseerd', t.spent_cents, 'spent_cents'),
			figure('Betaald', t.paid_cents, 'paid_cents'),
			figure('Resterend', t.remaining_cents, 'remaining_cents'),
			figure('Openstaande verplichtingen', t.open_commitments_cents,
				'open_commitments_cents'),
			figure('Verwachte terugbetaling', t.expected_return_cents,
				'expected_return_cents'),
			h('div', { class: 'fig' }, h('dt', {}, 'Besteden tot en met'),
				h('dd', { 'data-field': 'spend_until' },
					deadlineText(asOf, b.spend_until)))));
}

function warningsBlock(warnings) {
	return section('s-warnings', 'Signaleringen',
		warnings.length ?
			h('ul', { class: 'warnings', 'data-part': 'warnings' },
				warnings.map((w) => h('li', { class: `warning w-${w.code}`,
					'data-code': w.code },
				h('span', { class: 'warning-code' }, f.label(f.WARNING, w.code)),
				h('span', { class: 'warning-text' }, w.message)))) :
			h('p', { class: 'ok', 'data-part': 'warnings' }, 'Geen signaleringen.'));
}

function goalsBlock(goals) {
	// One scale for all goals, so their bars compare: the largest figure.
	let max = 0n;
	for (const g of goals)
		for (const k of ['allocated_cents', 'committed_cents', 'spent_cents']) {
			const v = f.toCents(g[k]) ?? 0n;
			if (v > max)
				max = v;
		}
	const row = (g, kind, term, field) => h('div', { class: 'goal-row' },
		h('dt', {}, term),
		h('dd', {}, bar(max, [[kind, g[field]]], `${term} ${f.euro(g[field])}`,
			'bar-thin'), money(g[field], field)));
	return section('s-goals', 'Bestedingsdoelen',
		h('p', { class: 'hint' }, 'Per doel wat is toegewezen, wat daarvan verplicht is en wat is gerealiseerd.'),
		goals.length ? h('ul', { class: 'goals' }, goals.map((g) =>
			h('li', { class: 'goal', 'data-goal': g.id },
				h('h3', {}, `${g.code}. ${g.name}`),
				h('dl', { class: 'goal-bars' },
					row(g, 'allocated', 'Toegewezen', 'allocated_cents'),
					row(g, 'committed', 'Verplicht', 'committed_cents'),
					row(g, 'spent', 'Gerealiseerd', 'spent_cents'))))) :
			h('p', {}, 'Deze begroting heeft nog geen doelen.'));
}

function programmesBlock(status, programmes) {
	const byId = new Map(programmes.map((p) => [p.id, p]));
	const cols = [
		{ title: 'Programma' },
		{ title: 'Uitvoerende partij' }, { title: 'Trekker' },
		{ title: 'Status' }, { title: 'Budget', num: true },
		{ title: 'Verplicht', num: true }, { title: 'Gerealiseerd', num: true },
		{ title: 'Resterend', num: true },
	];
	const row = (p) => {
		const full = byId.get(p.id) ?? {};
		return {
			attrs: { 'data-programme': p.id },
			cells: [
				h('span', { 'data-field': 'name' }, p.name),
				h('span', { 'data-field': 'partner' }, full.partner ?? '—'),
				h('span', { 'data-field': 'owner' }, full.owner ?? '—'),
				h('span', { class: `status st-${p.status}`, 'data-field': 'status' },
					f.label(f.PROGRAMME_STATUS, p.status)),
				money(p.budget_cents, 'budget_cents'),
				money(p.committed_cents, 'committed_cents'),
				money(p.spent_cents, 'spent_cents'),
				money(p.remaining_cents, 'remaining_cents'),
			],
		};
	};
	// grouped by goal, in the goals' order; a programme of no known goal last
	const groups = status.goals.map((g) => ({
		title: `Doel ${g.code}. ${g.name}`,
		rows: status.programmes.filter((p) => p.goal_id === g.id).map(row),
	})).filter((g) => g.rows.length);
	const known = new Set(status.goals.map((g) => g.id));
	const rest = status.programmes.filter((p) => !known.has(p.goal_id));
	if (rest.length)
		groups.push({ title: 'Overig', rows: rest.map(row) });
	return section('s-programmes', 'Uitvoeringsprogramma\u2019s',
		groups.length ? tableGroups('Uitvoeringsprogramma\u2019s per doel, met partij, trekker, status en bedragen',
			cols, groups, 'programmes') :
			h('p', {}, 'Nog geen programma\u2019s.'));
}

function plansBlock(plans) {
	const bySchool = new Map();
	for (const p of plans) {
		const k = p.school_id;
		if (!bySchool.has(k))
			bySchool.set(k, { name: p.school_name, code: p.school_code, plans: [] });
		bySchool.get(k).plans.push(p);
	}
	const schools = [...bySchool.entries()].sort((a, b) =>
		a[1].name.localeCompare(b[1].name, 'nl'));
	const cols = [
		{ title: 'Plan' }, { title: 'Programma' }, { title: 'Schooljaar' },
		{ title: 'Status' }, { title: 'Aangevraagd', num: true },
		{ title: 'Goedgekeurd', num: true }, { title: 'Besteed', num: true },
		{ title: 'Open', num: true },
	];
	return section('s-plans', 'Bestedingsplannen per school',
		schools.length ? schools.map(([id, s]) =>
			h('div', { class: 'school', 'data-school': id },
				h('h3', {}, s.name, h('span', { class: 'code' }, ` ${s.code}`)),
				table(`Bestedingsplannen van ${s.name}`, cols, s.plans.map((p) => ({
					attrs: { 'data-plan': p.id },
					cells: [
						h('span', { 'data-field': 'title' }, p.title),
						p.programme_name,
						p.school_year,
						h('span', { class: `status st-${p.status}`, 'data-field': 'status' },
							f.label(f.PLAN_STATUS, p.status)),
						money(p.requested_cents, 'requested_cents'),
						money(p.approved_cents, 'approved_cents'),
						money(p.spent_cents, 'spent_cents'),
						money(p.open_cents, 'open_cents'),
					],
				})), 'plans'))) :
			h('p', {}, 'Nog geen bestedingsplannen.'));
}

function lineName(line, status) {
	if (line?.goal_id !== undefined) {
		const g = status.goals.find((x) => x.id === line.goal_id);
		return g ? `doel ${g.code}. ${g.name}` : `doel ${line.goal_id}`;
	}
	if (line?.programme_id !== undefined) {
		const p = status.programmes.find((x) => x.id === line.programme_id);
		return p ? p.name : `programma ${line.programme_id}`;
	}
	return '—';
}

function reallocationsBlock(reallocations, status) {
	const cols = [
		{ title: 'Besloten op' }, { title: 'Van' }, { title: 'Naar' },
		{ title: 'Bedrag', num: true }, { title: 'Reden' }, { title: 'Besluit' },
	];
	return section('s-reallocations', 'Herschikkingen',
		reallocations.length ? table('Herschikkingen tussen doelen of programma\u2019s', cols,
			reallocations.map((r) => ({
				attrs: { 'data-reallocation': r.id },
				cells: [
					f.date(r.decided_on), lineName(r.from, status),
					lineName(r.to, status), money(r.amount_cents, 'amount_cents'),
					r.reason, r.decision_ref ?? '—',
				],
			})), 'reallocations') :
			h('p', {}, 'Geen herschikkingen.'));
}

// A spreadsheet link. The href has no token; a click with a token fetches
// the file with the Authorization header and saves it, so no token ever
// goes into a URL (the API has no way to tell whether a token is a read
// token, the only kind the daemon takes as ?access_token=).
function download(path, name, text, hint) {
	const a = h('a', { href: API + path, class: 'download', download: name,
		'data-download': name }, text);
	a.addEventListener('click', async (ev) => {
		if (!state.token)
			return; // --public-read: the plain link works
		ev.preventDefault();
		try {
			const r = await fetch(API + path, { headers: authHeaders(), cache: 'no-store' });
			if (r.status === 401)
				throw new AuthError(problemOf(await r.text()));
			if (!r.ok)
				throw new HttpError(r.status, problemOf(await r.text()));
			const url = URL.createObjectURL(await r.blob());
			const tmp = h('a', { href: url, download: name, hidden: true });
			document.body.append(tmp);
			tmp.click();
			tmp.remove();
			setTimeout(() => URL.revokeObjectURL(url), 60000);
		} catch (e) {
			handleError(e);
		}
	});
	return h('li', {}, a, h('span', { class: 'hint' }, ` ${hint}`));
}

function downloadsBlock(id, b) {
	const slug = b.municipality_name.toLowerCase().replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '') || `begroting-${id}`;
	return section('s-downloads', 'Downloads',
		h('ul', { class: 'downloads' },
			download(`/budgets/${id}/status?format=csv&dialect=excel-nl`,
				`status-${slug}.csv`, 'Cijfers als CSV voor Excel',
				'(puntkomma, decimale komma)'),
			download(`/budgets/${id}/overview.xlsx`,
				`bestedingsoverzicht-${slug}.xlsx`,
				'Bestedingsoverzicht als werkmap (.xlsx)',
				'(met programma\u2019s, plannen, bestedingen en herschikkingen)')),
		h('p', { class: 'hint' }, 'Een spreadsheet die de cijfers zelf ophaalt (Excel: Gegevens \u2192 Van web) heeft de link met ',
			h('code', {}, '&access_token='), ' en een leestoken erachter nodig.'));
}

function renderBudget(status, programmes, plans, reallocations) {
	const b = status.budget;
	document.title = `${b.municipality_name} · NPO-middelen`;
	return [
		h('nav', { class: 'crumbs', 'aria-label': 'Kruimelpad' },
			h('a', { href: '#/' }, '\u2190 Alle gemeenten')),
		h('h1', { tabindex: '-1' }, b.municipality_name,
			h('span', { class: 'h1-sub' }, ` ${b.name}`)),
		h('p', { class: 'lead' },
			`${b.municipality_code} · beschikking ${b.decision_ref ?? '—'} · bestedingsperiode ${f.date(b.spend_from)} tot en met ${f.date(b.spend_until)} · stand op ${f.date(status.as_of)}`),
		totalsBlock(status.totals, status.as_of, b),
		warningsBlock(status.warnings ?? []),
		goalsBlock(status.goals ?? []),
		programmesBlock(status, programmes),
		plansBlock(plans),
		reallocationsBlock(reallocations, status),
		downloadsBlock(b.id, b),
	];
}

function renderMessage(title, text) {
	document.title = `${title} · NPO-middelen`;
	return [
		h('nav', { class: 'crumbs', 'aria-label': 'Kruimelpad' },
			h('a', { href: '#/' }, '\u2190 Alle gemeenten')),
		h('h1', { tabindex: '-1' }, title), h('p', {}, text),
	];
}

// --- showing it -------------------------------------------------------------------

// Replaces what main shows, keeping the focus on the same link or heading
// when a refresh redraws the same view.
function show(key, nodes) {
	const main = $('main');
	const active = document.activeElement;
	let focusKey = null;
	if (active && main.contains(active) && active !== main)
		focusKey = active.getAttribute('href') ?? active.id ?? null;
	const y = window.scrollY;
	const same = state.rendered === key;
	main.replaceChildren(...nodes);
	main.setAttribute('aria-busy', 'false');
	state.rendered = key;
	if (same) {
		window.scrollTo(0, y);
		if (focusKey) {
			const el = [...main.querySelectorAll('a[href], [id]')].find((e) =>
				(e.getAttribute('href') ?? e.id) === focusKey);
			el?.focus({ preventScroll: true });
		}
	} else if (state.focusHeading) {
		main.querySelector('h1')?.focus({ preventScroll: true });
		window.scrollTo(0, 0);
	}
	state.focusHeading = false;
}

function setMode(mode) {
	state.mode = mode;
	const live = $('live');
	live.dataset.mode = mode;
	document.documentElement.dataset.live = mode;
	const at = state.checkedAt ? ` · stand van ${f.clock(state.checkedAt)}` : '';
	const text = {
		starting: 'Verbinden…',
		events: `Live${at}`,
		polling: `Elke 5 seconden bijgewerkt${at}`,
		offline: 'Geen verbinding',
		signin: 'Niet ingelogd',
	}[mode] ?? mode;
	$('live-text').textContent = text;
	live.title = mode === 'events' ?
		'Wijzigingen verschijnen direct (server-sent events)' :
		mode === 'polling' ?
			'De server meldt wijzigingen nu niet; de pagina vraagt elke 5 seconden of er iets veranderd is' :
			'';
	$('signout').hidden = !state.token || mode === 'signin';
}

function banner(text) {
	const b = $('banner');
	if (!text) {
		b.hidden = true;
		b.textContent = '';
		return;
	}
	if (b.textContent !== text)
		b.textContent = text;
	b.hidden = false;
}

function parseRoute() {
	const m = /^#\/budget\/(\d+)\/?$/.exec(location.hash);
	if (m)
		return { view: 'budget', id: Number(m[1]) };
	if (location.hash === '' || location.hash === '#' || location.hash === '#/')
		return { view: 'front' };
	return null; // another fragment (the skip link): stay where we are
}

const routeKey = (r) => r.view === 'budget' ? `budget:${r.id}` : 'front';

let refreshing = null;
let again = false;

// Fetches what the current view shows (If-None-Match: mostly 304s) and
// redraws it when anything changed. One at a time; a call during one runs
// once more after it.
function refresh() {
	if (!state.live)
		return Promise.resolve();
	if (refreshing) {
		again = true;
		return refreshing;
	}
	refreshing = (async () => {
		do {
			again = false;
			await refreshOnce();
		} while (again && state.live);
	})().finally(() => {
		refreshing = null;
	});
	return refreshing;
}

async function refreshOnce() {
	const route = state.route;
	const key = routeKey(route);
	try {
		const r = route.view === 'budget' ? await loadBudget(route.id) :
			await loadFront();
		if (routeKey(state.route) !== key || !state.live)
			return; // moved on meanwhile; that view has its own refresh
		banner(null);
		if (r.changed || state.rendered !== r.key)
			show(r.key, r.render());
		state.checkedAt = new Date();
		if (state.mode === 'offline' || state.mode === 'starting')
			setMode(state.events ? 'events' : 'polling');
		else
			setMode(state.mode);
	} catch (e) {
		if (e instanceof HttpError && e.status === 404 && route.view === 'budget') {
			show(`missing:${route.id}`, renderMessage('Niet gevonden',
				`Begroting ${route.id} bestaat niet, of dit token mag haar niet zien.`));
			return;
		}
		handleError(e);
	}
}

function handleError(e) {
	if (e instanceof AuthError) {
		if (!state.live)
			return; // signed out already (another request said so first)
		const hadToken = !!state.token;
		signOut(hadToken ? (e.problem?.code === 'token_expired' ?
			'Uw token is verlopen. Vraag een nieuw leestoken en log opnieuw in.' :
			'Het token wordt niet (meer) geaccepteerd. Controleer het en log opnieuw in.') :
			null);
		return;
	}
	if (e instanceof NetError) {
		banner('De server is niet bereikbaar. De pagina probeert het elke 5 seconden opnieuw.');
		setMode('offline');
		schedulePoll();
		return;
	}
	if (e instanceof HttpError && e.status === 403) {
		show('forbidden', renderMessage('Geen toegang',
			e.problem?.code === 'out_of_scope' ?
				'Dit token hoort bij een school en geeft geen toegang tot de cijfers. Log in met een leestoken van de gemeente.' :
				`Dit token mag dit niet lezen (${e.problem?.detail ?? 'verboden'}).`));
		return;
	}
	const detail = e.problem?.detail ?? e.message;
	banner(`De server gaf een fout${e.status ? ` (${e.status})` : ''}: ${detail}. De pagina probeert het opnieuw.`);
	schedulePoll();
	console.warn('npo-dashboard:', e);
}

// --- staying up to date -------------------------------------------------------------

function schedulePoll() {
	if (state.pollTimer || !state.live)
		return;
	state.pollTimer = setTimeout(() => {
		state.pollTimer = null;
		if (!state.live || state.mode === 'events')
			return;
		refresh().finally(schedulePoll);
	}, POLL_MS);
}

function stopPolling() {
	clearTimeout(state.pollTimer);
	state.pollTimer = null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Follows GET /api/v1/events while signed in: on an event, a refresh; when
// the stream cannot open or ends, polling until it is back.
async function followEvents(gen) {
	while (state.live && state.gen === gen) {
		const opened = await readEvents();
		if (!state.live || state.gen !== gen)
			return;
		if (state.mode !== 'offline')
			setMode('polling');
		schedulePoll();
		if (opened)
			state.backoff = BACKOFF_MIN_MS;
		await sleep(state.backoff);
		state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
	}
}

// One stream: resolves when it ends or fails, true when it delivered an
// event (so it worked and may simply have been closed).
async function readEvents() {
	const ctrl = new AbortController();
	const headers = authHeaders({ Accept: 'text/event-stream' });
	if (state.lastEventId !== null)
		headers['Last-Event-ID'] = state.lastEventId;
	let r;
	try {
		r = await fetch(`${API}/events`, { headers, cache: 'no-store',
			signal: ctrl.signal });
	} catch {
		return false;
	}
	if (r.status === 401) {
		handleError(new AuthError(problemOf(await r.text())));
		return false;
	}
	const type = r.headers.get('Content-Type') ?? '';
	if (r.status !== 200 || !r.body || !type.startsWith('text/event-stream')) {
		await r.body?.cancel().catch(() => {});
		return false;
	}
	state.events = ctrl;
	let lastByte = Date.now();
	const watch = setInterval(() => {
		if (Date.now() - lastByte > STALE_MS || !state.live)
			ctrl.abort();
	}, 5000);
	const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
	let buf = '';
	let ev = { type: '', data: [] };
	let delivered = false;
	const dispatch = () => {
		const type = ev.type || 'message';
		const data = ev.data.join('\n');
		ev = { type: '', data: [] };
		if (type !== 'revision')
			return;
		let rev = null;
		try {
			rev = JSON.parse(data).revision ?? null;
		} catch { /* an event without a revision still says: changed */ }
		const first = !delivered;
		delivered = true;
		if (first) {
			stopPolling();
			state.backoff = BACKOFF_MIN_MS;
			setMode('events');
		}
		// The first event of a connection: catch up on whatever happened
		// while there was none (If-None-Match makes that cheap).
		if (first || rev === null || rev !== state.revision)
			refresh();
		state.revision = rev;
		document.documentElement.dataset.revision = String(rev ?? '');
	};
	const line = (l) => {
		if (l === '') {
			if (ev.data.length || ev.type)
				dispatch();
			return;
		}
		if (l.startsWith(':'))
			return; // a comment: the heartbeat
		const i = l.indexOf(':');
		const field = i < 0 ? l : l.slice(0, i);
		let value = i < 0 ? '' : l.slice(i + 1);
		if (value.startsWith(' '))
			value = value.slice(1);
		if (field === 'event')
			ev.type = value;
		else if (field === 'data')
			ev.data.push(value);
		else if (field === 'id' && !value.includes('\0'))
			state.lastEventId = value;
	};
	try {
		for (;;) {
			const { value, done } = await reader.read();
			if (done)
				break;
			lastByte = Date.now();
			buf += value;
			let m;
			while ((m = /\r\n|\r|\n/.exec(buf))) {
				// a CR at the very end may be the first half of CRLF
				if (m[0] === '\r' && m.index === buf.length - 1)
					break;
				line(buf.slice(0, m.index));
				buf = buf.slice(m.index + m[0].length);
			}
		}
	} catch {
		/* aborted or cut off: reconnect */
	} finally {
		clearInterval(watch);
		if (state.events === ctrl)
			state.events = null;
		ctrl.abort();
	}
	return delivered;
}

function goLive() {
	if (state.live)
		return;
	state.live = true;
	state.gen++;
	setMode('starting');
	refresh();
	followEvents(state.gen);
}

// --- signing in -------------------------------------------------------------------

function signOut(message) {
	state.live = false;
	state.events?.abort();
	state.events = null;
	stopPolling();
	state.token = null;
	state.cache.clear();
	state.rendered = null;
	sessionStorage.removeItem(TOKEN_KEY);
	banner(null);
	showSignIn(message);
}

function showSignIn(message) {
	setMode('signin');
	document.title = 'Inloggen · NPO-middelen';
	const err = h('p', { class: 'form-error', id: 'signin-error', role: 'alert' },
		message ?? '');
	if (!message)
		err.hidden = true;
	const input = h('input', { id: 'token', name: 'token', type: 'password',
		autocomplete: 'off', spellcheck: 'false', required: true,
		'aria-describedby': 'token-help signin-error',
		'aria-invalid': message ? 'true' : null });
	const button = h('button', { type: 'submit' }, 'Inloggen');
	const form = h('form', { class: 'signin', id: 'signin', novalidate: true },
		h('label', { for: 'token' }, 'Leestoken'), input,
		h('p', { class: 'hint', id: 'token-help' },
			'Het token begint met npo_. Een beheerder maakt het met ',
			h('code', {}, 'npo-budgetd token add NAAM --role read'),
			'. Het blijft alleen in dit tabblad bewaard en gaat nooit in een adres.'),
		err, button);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const token = input.value.trim();
		const fail = (text) => {
			err.textContent = text;
			err.hidden = false;
			input.setAttribute('aria-invalid', 'true');
			button.disabled = false;
			input.focus();
		};
		if (!token) {
			fail('Vul een leestoken in.');
			return;
		}
		button.disabled = true;
		state.token = token;
		try {
			await get('/status');
		} catch (e) {
			state.token = null;
			state.cache.clear();
			if (e instanceof AuthError)
				fail(e.problem?.code === 'token_expired' ?
					'Dit token is verlopen. Vraag een nieuw leestoken.' :
					'Dit token is onjuist of ingetrokken. Controleer het en probeer het opnieuw.');
			else if (e instanceof NetError)
				fail('De server is niet bereikbaar. Probeer het zo opnieuw.');
			else if (e instanceof HttpError && e.problem?.code === 'out_of_scope')
				fail('Dit token hoort bij een school en geeft geen toegang tot de cijfers.');
			else
				fail(`Inloggen lukt niet: ${e.problem?.detail ?? e.message}`);
			return;
		}
		sessionStorage.setItem(TOKEN_KEY, token);
		state.focusHeading = true;
		goLive();
	});
	state.rendered = 'signin';
	$('main').replaceChildren(
		h('h1', {}, 'Inloggen'),
		h('p', { class: 'lead' }, 'Log in met een leestoken om de stand van de NPO-middelen te zien.'),
		form);
	input.focus();
}

// --- start --------------------------------------------------------------------------

async function boot() {
	$('skip').addEventListener('click', (ev) => {
		ev.preventDefault();
		$('main').focus();
	});
	$('signout').addEventListener('click', () => signOut(null));
	window.addEventListener('hashchange', () => {
		const r = parseRoute();
		if (!r)
			return;
		state.route = r;
		state.focusHeading = true;
		if (state.live) {
			$('main').setAttribute('aria-busy', 'true');
			refresh();
		}
	});
	state.route = parseRoute() ?? { view: 'front' };
	state.token = sessionStorage.getItem(TOKEN_KEY);
	if (state.token) {
		goLive();
		return;
	}
	// Without a token: --public-read answers, otherwise 401 asks for one.
	for (;;) {
		try {
			await get('/status');
			goLive(); // --public-read
			return;
		} catch (e) {
			if (e instanceof AuthError) {
				showSignIn(null);
				return;
			}
			banner(e instanceof NetError ?
				'De server is niet bereikbaar. De pagina probeert het elke 5 seconden opnieuw.' :
				`De server gaf een fout: ${e.problem?.detail ?? e.message}`);
			setMode('offline');
			await sleep(POLL_MS);
		}
	}
}

boot();
