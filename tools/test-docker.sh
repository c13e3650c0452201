#!/bin/sh
# make test-docker: builds the image and checks that it serves /readyz, turns
# healthy, and keeps a created budget across a container restart; then that
# with a certificate mounted and NPO_TLS_* it serves HTTPS and turns healthy
# over it. Starts a
# Docker engine (and makes a debian:bookworm-slim base with debootstrap) when
# none is there, and stops only what it started. Prints TAP and a summary.
set -u
cd "$(dirname "$0")/.."
image=npo-budgetd:test
name=npo-test-$$
volume=npo-test-$$
port=${NPO_TEST_PORT:-18642}
dockerd_pid=""
tls=""
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

cleanup() {
	docker rm -f "$name" "$name-tls" >/dev/null 2>&1
	[ -z "$tls" ] || rm -rf "$tls"
	docker volume rm -f "$volume" >/dev/null 2>&1
	if [ -n "$dockerd_pid" ]; then
		kill "$dockerd_pid" 2>/dev/null
		wait "$dockerd_pid" 2>/dev/null
	fi
}
trap cleanup EXIT INT TERM

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
for p in docker.io debootstrap curl openssl; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" && continue
	$sudo apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends docker.io debootstrap curl openssl >/dev/null
	break
done

if ! docker info >/dev/null 2>&1; then
	echo "# starting a Docker engine" >&2
	$sudo dockerd --storage-driver=vfs --iptables=false --bridge=none \
		>/tmp/npo-dockerd.log 2>&1 &
	dockerd_pid=$!
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 60 ] && { echo "Bail out! no Docker engine (see /tmp/npo-dockerd.log)"; exit 1; }
		sleep 1
	done
fi

# A base image made by an earlier version of this script may have / with
# mode 0700 (that of its mktemp directory), which locks the user npo out of
# everything: such an image is made again.
if docker image inspect debian:bookworm-slim >/dev/null 2>&1 &&
	[ "$(docker run --rm --network none debian:bookworm-slim \
		stat -c %a / 2>/dev/null)" != 755 ]; then
	echo "# debian:bookworm-slim has / not 0755: making it again" >&2
	docker rmi -f debian:bookworm-slim >/dev/null 2>&1
fi
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1 &&
	! docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
	# no registry: the same Debian, from the configured apt mirror
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *//p; s/^deb  *\(\[[^]]*\] *\)\{0,1\}//p' |
		awk '{print $1}' | grep -E '/debian/?$' | head -n 1)
	root=$(mktemp -d /tmp/npo-rootfs-XXXXXX)
	# mktemp makes it 0700, and the mode of the directory becomes the
	# mode of / in the image: other users could reach nothing
	chmod 0755 "$root"
	echo "# making debian:bookworm-slim with debootstrap from $mirror" >&2
	$sudo debootstrap --variant=minbase bookworm "$root" "$mirror" \
		>/tmp/npo-debootstrap.log 2>&1 &&
		$sudo tar -C "$root" -c . | docker import - debian:bookworm-slim >/dev/null
	$sudo rm -rf "$root"
fi

if ! docker build --network host -f docker/Dockerfile -t "$image" . \
	>/tmp/npo-docker-build.log 2>&1; then
	ok 1 "the image builds (see /tmp/npo-docker-build.log)"
	tail -n 20 /tmp/npo-docker-build.log | sed 's/^/# /'
	echo "1..$n"
	echo "0 passed, 1 failed"
	exit 1
fi
ok 0 "the image builds"

# / must be reachable for the user npo (a base image made from a 0700
# directory once had / at 0700, and nothing in it could be run)
mode=$(docker run --rm --network none --entrypoint stat "$image" -c %a /)
[ "$mode" = 755 ]
ok $? "/ in the image has mode 0755 (got $mode)"

docker volume create "$volume" >/dev/null
# token add refuses a database that does not exist yet: migrate makes it
docker run --rm -v "$volume:/data" "$image" migrate >/dev/null 2>&1
token=$(docker run --rm -v "$volume:/data" "$image" token add ci --role write 2>/dev/null)
[ -n "$token" ]
ok $? "a token is made inside the container"

start() {
	docker run -d --name "$name" --network host -v "$volume:/data" \
		-e NPO_LISTEN="127.0.0.1:$port" "$image" >/dev/null
}
ready() {
	i=0
	until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.2
	done
}

start
ready
ok $? "/readyz answers"

[ "$(docker inspect -f '{{.Config.User}}' "$image")" = "npo" ]
ok $? "it runs as the non-root user npo"

body='{"municipality_code":"GM0402","municipality_name":"Hilversum","name":"NPO","grant_cents":213850964,"spend_from":"2021-07-01","spend_until":"2025-07-31"}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/budgets" \
	-H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")
[ "$code" = 201 ]
ok $? "a budget is created (201, got $code)"

i=0
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ]; do
	i=$((i + 1))
	[ $i -gt 30 ] && break
	sleep 1
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ]
ok $? "the HEALTHCHECK reports healthy"

docker restart -t 10 "$name" >/dev/null && ready
grant=$(curl -s "http://127.0.0.1:$port/api/v1/budgets/1" -H "Authorization: Bearer $token" |
	grep -o '"grant_cents": *[0-9]*' | grep -o '[0-9]*$')
[ "$grant" = 213850964 ]
ok $? "the budget survives a container restart (grant $grant)"

[ "$(docker inspect -f '{{.State.ExitCode}}' "$name")" = 0 ] &&
	docker stop -t 10 "$name" >/dev/null &&
	[ "$(docker inspect -f '{{.State.ExitCode}}' "$name")" = 0 ]
ok $? "SIGTERM stops it cleanly (exit 0)"

# compose.yaml's way (a), TLS in the daemon: a CA and a certificate for
# 127.0.0.1 made here with the README's commands, mounted read-only and
# readable by npo, named by NPO_TLS_CERT and NPO_TLS_KEY
tls=$(mktemp -d /tmp/npo-tls-XXXXXX)
chmod 0755 "$tls"
(cd "$tls" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
		-days 2 -subj '/CN=npo-budgetd test CA' -keyout ca.key -out ca.pem &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout server.key -out server.csr &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 2 -copy_extensions copy -out server.pem &&
	chmod 0644 server.key server.pem) >/dev/null 2>&1
tport=$((port + 1))
docker run -d --name "$name-tls" --network host -v "$volume:/data" \
	-v "$tls:/tls:ro" -e NPO_LISTEN="127.0.0.1:$tport" \
	-e NPO_TLS_CERT=/tls/server.pem -e NPO_TLS_KEY=/tls/server.key \
	"$image" >/dev/null
i=0
until curl -fsS --cacert "$tls/ca.pem" -D "$tls/head" -o /dev/null \
	"https://127.0.0.1:$tport/readyz" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.2
done
grep -qi '^Strict-Transport-Security: max-age=31536000' "$tls/head" 2>/dev/null
ok $? "with NPO_TLS_*, /readyz answers over HTTPS with the CA and HSTS"

i=0
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$name-tls")" = healthy ]; do
	i=$((i + 1))
	[ $i -gt 30 ] && break
	sleep 1
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "$name-tls")" = healthy ]
ok $? "the HEALTHCHECK reports healthy over HTTPS"
docker stop -t 10 "$name-tls" >/dev/null

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
