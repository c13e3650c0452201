/*
 * Disk full: the database on a 2 MiB tmpfs, filled up with a ballast file.
 * Writes that do not fit answer 507 problem+json code disk_full, nothing of
 * them is stored (rows and audit rows both equal the writes answered 201),
 * reads keep answering 200, and once the ballast is deleted writes succeed
 * again, from several clients at once. The file passes integrity_check.
 *
 * Mounting needs root (as in CI). The test first enters a mount namespace of
 * its own, so the tmpfs is gone with the test process whatever happens; not
 * as root, it tries a user namespace in which it is root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

#define FS_SIZE "2m"
#define RESERVE (384 * 1024) /* what the ballast leaves free */

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			note("%s: %s", path, strerror(errno));
		close(fd);
	}
}

/* A mount namespace of our own, so that the mount dies with us. */
static void private_mounts(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWNS) == 0) {
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		return;
	}
	if (uid != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) {
		write_file("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		write_file("/proc/self/uid_map", map);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		write_file("/proc/self/gid_map", map);
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		note("disk full: in a user namespace (not root)");
		return;
	}
	note("disk full: no mount namespace of our own (%s); mounting in the "
	     "current one",
	     strerror(errno));
}

/* Writes size bytes of zeros (real blocks: tmpfs does not fill up with
 * holes); stops early at ENOSPC. The bytes written. */
static long long ballast(const char *path, long long size)
{
	static char zeros[65536];
	long long done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0, "%s: %s", path, strerror(errno));
	while (done < size) {
		size_t n = size - done < (long long)sizeof(zeros)
				   ? (size_t)(size - done)
				   : sizeof(zeros);
		ssize_t got = write(fd, zeros, n);

		if (got <= 0)
			break;
		done += got;
	}
	close(fd);
	return done;
}

static long long avail(const char *dir)
{
	struct statvfs vfs;

	CHECK(statvfs(dir, &vfs) == 0, "statvfs %s: %s", dir, strerror(errno));
	return (long long)vfs.f_bavail * (long long)vfs.f_frsize;
}

START_TEST(disk_full)
{
	char dir[256], fs[300], db[320], ball[320], tok[128], adm[128];
	char body[1024], desc[501], path[128];
	struct daemon d;
	struct writers w;
	struct hresp r;
	long long programme, created = 0, last = 0, filled, total;
	int full = 0, attempts = 0;
	struct rec *recs;
	size_t n;
	char *bad;

	private_mounts();
	fault_tmpdir(dir, sizeof(dir));
	snprintf(fs, sizeof(fs), "%s/fs", dir);
	snprintf(db, sizeof(db), "%s/npo.db", fs);
	snprintf(ball, sizeof(ball), "%s/ballast", fs);
	CHECK(mkdir(fs, 0755) == 0, "mkdir %s: %s", fs, strerror(errno));
	if (mount("tmpfs", fs, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=" FS_SIZE ",mode=0755") < 0) {
		int e = errno;

		fault_rmtree(dir);
		FAIL("mount -t tmpfs -o size=" FS_SIZE " tmpfs %s: %s (the "
		     "disk-full test needs root, or user namespaces)",
		     fs, strerror(e));
	}
	fault_mounted(fs);

	fault_token(db, "writer", "write", tok, sizeof(tok));
	fault_token(db, "admin", "admin", adm, sizeof(adm));
	daemon_init(&d, db, dir); /* the log outside the small disk */
	daemon_start(&d);
	programme = fault_programme(d.port, tok);
	filled = ballast(ball, avail(fs) - RESERVE);
	note("disk full: a %lld-byte ballast leaves %lld bytes free on the " FS_SIZE
	     " tmpfs",
	     filled, avail(fs));

	/* write until ten did not fit (one needing fewer new pages may still
	 * fit between them: any answer but 201 or 507 fails) */
	memset(desc, 'x', 500);
	desc[500] = '\0';
	while (full < 10) {
		CHECK(++attempts < 5000, "no write was refused after %d",
		      attempts);
		snprintf(desc, 11, "%010d", attempts);
		desc[10] = 'x'; /* a unique 500-character description */
		snprintf(body, sizeof(body),
			 "{\"programme_id\":%lld,\"amount_cents\":100,"
			 "\"spent_on\":\"2024-01-15\",\"description\":\"%s\"}",
			 programme, desc);
		http_must(d.port, "POST", "/api/v1/expenditures", tok, body,
			  &r);
		if (r.status == 201) {
			created++;
			last = json_integer_value(
				json_object_get(r.json, "id"));
		} else {
			assert_problem(&r, 507, "disk_full",
				       "POST /api/v1/expenditures on a full "
				       "disk");
			full++;
		}
		hresp_free(&r);
	}
	CHECK(created > 0, "not one write fitted before the disk was full: "
			   "the ballast left too little");
	note("disk full: %lld writes answered 201, %d answered 507", created,
	     full);

	/* nothing partial, and reads still work */
	total = http_total(d.port, tok,
			   "/api/v1/expenditures?count=true&limit=1");
	CHECK(total == created, "%lld expenditures listed, %lld answered 201",
	      total, created);
	total = http_total(d.port, adm,
			   "/api/v1/audit?entity=expenditure&count=true"
			   "&limit=1");
	CHECK(total == created,
	      "%lld audit rows for expenditures, %lld "
	      "answered 201",
	      total, created);
	snprintf(path, sizeof(path), "/api/v1/expenditures/%lld", last);
	http_must(d.port, "GET", path, tok, NULL, &r);
	CHECK(r.status == 200, "GET %s on a full disk: %ld %s", path, r.status,
	      r.body);
	hresp_free(&r);
	http_must(d.port, "GET", "/api/v1/status", tok, NULL, &r);
	CHECK(r.status == 200, "GET /api/v1/status on a full disk: %ld %s",
	      r.status, r.body);
	hresp_free(&r);
	http_must(d.port, "GET", "/api/v1/expenditures?format=csv", tok, NULL,
		  &r);
	CHECK(r.status == 200, "GET the CSV on a full disk: %ld", r.status);
	hresp_free(&r);

	/* room again: writes succeed, from several clients at once */
	CHECK(unlink(ball) == 0, "rm %s: %s", ball, strerror(errno));
	created++;
	http_create(d.port, tok, "/api/v1/expenditures", body);
	/* twenty writes from four clients: what the space freed holds
	 * (the write-ahead log is checkpointed only at 1000 pages, 4 MiB, so
	 * on this small disk it fills up again soon enough) */
	writers_start_limit(&w, 4, d.port, tok, programme, 20);
	writers_join(&w);
	CHECK(w.unexpected == 0 && w.conn_errors == 0 && w.acked > 0,
	      "after freeing space: %ld answered 201, %ld otherwise (first: "
	      "%s), %ld cut off",
	      atomic_load(&w.acked), w.unexpected, w.first_unexpected,
	      atomic_load(&w.conn_errors));
	created += atomic_load(&w.acked);
	n = writers_snapshot(&w, &recs);
	verify_recs(d.port, tok, recs, n, "after freeing space");
	free(recs);
	free(w.recs);
	total = http_total(d.port, tok,
			   "/api/v1/expenditures?count=true&limit=1");
	CHECK(total == created, "%lld expenditures listed, %lld answered 201",
	      total, created);

	CHECK(daemon_signal_wait(&d, SIGTERM, 30000) == 0, "SIGTERM: %s",
	      wait_str(d.status));
	bad = db_integrity(db);
	CHECK(!bad, "integrity_check: %s", bad);
	CHECK(db_int(db, "SELECT count(*) FROM expenditures") == created &&
		      db_int(db, "SELECT count(*) FROM audit WHERE entity = "
				 "'expenditure'") == created,
	      "the file does not hold %lld expenditures and audit rows",
	      created);
	CHECK(umount2(fs, 0) == 0, "umount %s: %s", fs, strerror(errno));
	fault_unmounted(fs);
	fault_rmtree(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, disk_full);
}

FAULT_MAIN("diskfull", 300)
