// Dutch notation for the dashboard: amounts in euros from integer cents,
// dates from the API's YYYY-MM-DD, and the Dutch names of statuses and
// warning codes. Money never passes through a floating-point number: cents
// are BigInt here (a JSON number above 2^53 is kept as BigInt by parseJson).

const MONTHS = ['januari', 'februari', 'maart', 'april', 'mei', 'juni',
	'juli', 'augustus', 'september', 'oktober', 'november', 'december'];

// A JSON number that is an integer but not a safe one (beyond 2^53) would
// lose cents as a Number; with the reviver's source text it becomes a
// BigInt instead. Browsers without source text access keep the Number.
function reviver(key, value, context) {
	if (typeof value === 'number' && !Number.isSafeInteger(value) &&
	    context && typeof context.source === 'string' &&
	    /^-?\d+$/.test(context.source))
		return BigInt(context.source);
	return value;
}

export function parseJson(text) {
	return JSON.parse(text, reviver);
}

// Cents (Number that is an integer, BigInt, or a string of digits) as
// BigInt; anything else is null.
export function toCents(v) {
	if (typeof v === 'bigint')
		return v;
	if (typeof v === 'number' && Number.isInteger(v))
		return BigInt(v);
	if (typeof v === 'string' && /^-?\d+$/.test(v))
		return BigInt(v);
	return null;
}

// "€ 683.901,00", "€ -11.490,36" for a negative amount (as the daemon's own
// messages write them), "—" for none (null). The page keeps an amount on
// one line with CSS (white-space: nowrap), so the text is plain.
export function euro(cents) {
	const c = toCents(cents);
	if (c === null)
		return '—';
	const neg = c < 0n;
	const abs = neg ? -c : c;
	const whole = (abs / 100n).toString();
	const frac = (abs % 100n).toString().padStart(2, '0');
	let grouped = '';
	for (let i = 0; i < whole.length; i++) {
		if (i > 0 && (whole.length - i) % 3 === 0)
			grouped += '.';
		grouped += whole[i];
	}
	return `€ ${neg ? '-' : ''}${grouped},${frac}`;
}

// part / whole in hundredths of a percent (0..10000 and beyond when part
// exceeds whole), by integer division; 0 when whole is 0 or less.
export function basisPoints(part, whole) {
	const p = toCents(part) ?? 0n;
	const w = toCents(whole) ?? 0n;
	if (w <= 0n || p <= 0n)
		return 0;
	return Number((p * 10000n) / w);
}

// "87,8%" from basis points (one decimal, truncated).
export function percent(bp) {
	const tenths = Math.trunc(bp / 10);
	return `${Math.trunc(tenths / 10)},${tenths % 10}%`;
}

// [year, month, day] of "YYYY-MM-DD" (the first 10 characters of a
// timestamp too), or null.
function ymd(s) {
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s ?? '');
	if (!m)
		return null;
	const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return null;
	return [y, mo, d];
}

// "31 juli 2025"; "—" for none.
export function date(s) {
	const p = ymd(s);
	if (!p)
		return s ? String(s) : '—';
	return `${p[2]} ${MONTHS[p[1] - 1]} ${p[0]}`;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil),
// in integers only, so no time zone or daylight saving time is involved.
function dayNumber([y, m, d]) {
	y -= m <= 2 ? 1 : 0;
	const era = Math.floor(y / 400);
	const yoe = y - era * 400;
	const mp = (m + 9) % 12;
	const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
	const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
	return era * 146097 + doe - 719468;
}

// until − from in days (both "YYYY-MM-DD"), or null.
export function daysBetween(from, until) {
	const a = ymd(from), b = ymd(until);
	if (!a || !b)
		return null;
	return dayNumber(b) - dayNumber(a);
}

// How long until spend_until, seen on as_of: "nog 60 dagen", "vandaag de
// laatste dag", "124 dagen geleden verstreken".
export function deadline(asOf, until) {
	const n = daysBetween(asOf, until);
	if (n === null)
		return '';
	if (n === 0)
		return 'vandaag is de laatste dag';
	if (n === 1)
		return 'nog 1 dag';
	if (n > 1)
		return `nog ${n} dagen`;
	return n === -1 ? '1 dag geleden verstreken' :
		`${-n} dagen geleden verstreken`;
}

// "14:03:22" of a Date, in the browser's own time.
export function clock(d) {
	const two = (n) => String(n).padStart(2, '0');
	return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export const PROGRAMME_STATUS = {
	planned: 'gepland', active: 'lopend', completed: 'afgerond',
	stopped: 'gestopt',
};

export const PLAN_STATUS = {
	draft: 'concept', submitted: 'ingediend', approved: 'goedgekeurd',
	rejected: 'afgewezen', withdrawn: 'ingetrokken', settled: 'vastgesteld',
};

// The summary rows of GET /api/v1/status name their warnings by code only.
export const WARNING = {
	over_allocated: 'meer over de doelen verdeeld dan toegekend',
	goal_over_programmed: 'een doel heeft meer geprogrammeerd dan toegewezen',
	programme_over_committed: 'een programma heeft meer verplicht dan zijn budget',
	plan_over_spent: 'op een plan is meer besteed dan goedgekeurd',
	outside_period: 'een besteding valt buiten de bestedingsperiode',
	deadline_near: 'de bestedingstermijn nadert',
	deadline_passed: 'de bestedingstermijn is verstreken',
};

export function label(table, code) {
	return table[code] ?? String(code ?? '—');
}
