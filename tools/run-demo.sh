#!/bin/sh
# make run: a write token for this session, then the daemon with demo data.
set -eu
bin=$1
db=${NPO_DB:-./npo.db}
listen=${NPO_LISTEN:-127.0.0.1:8080}
# token add needs the database: migrate makes it (serve would, too late);
# quiet unless it fails
said=$("$bin" migrate --db "$db" 2>&1) || {
	printf '%s\n' "$said" >&2
	exit 1
}
stamp=$(date +%s)
token=$("$bin" token add "demo-$stamp" --role write --db "$db" 2>/dev/null)
reader=$("$bin" token add "dashboard-$stamp" --role read --db "$db" 2>/dev/null)
cat <<MSG

  npo-budgetd on http://$listen  (database $db, demo data)
  write token: $token

  dashboard:   http://$listen/dashboard/
               sign in with the read token $reader

  try:  curl -s http://$listen/readyz
        curl -s -H "Authorization: Bearer $token" http://$listen/api/v1/budgets

  stop with Ctrl-C
MSG
exec "$bin" serve --db "$db" --listen "$listen" --demo
