// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the host readers that take a file: where cgroup v2 is
 * mounted, on each layout a host may have; and the arrays every layer
 * grows and sorts. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cgroups.h"
#include "host/conntrack.h"
#include "lib/array.h"

static int passed, failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) {                                                      \
			passed++;                                                \
		} else {                                                         \
			failed++;                                                \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                \
	} while (0)

/* The cgroup2 mount of a mountinfo with @text, into @buf; the errno. */
static int mount_of(const char *text, char *buf, size_t len)
{
	char path[] = "/tmp/portleak-mountinfo.XXXXXX";
	int fd = mkstemp(path), err;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -999;
	close(fd);
	err = cgroups__find_mount(path, buf, len);
	unlink(path);
	return err;
}

static void test_cgroup2_mount_on_every_layout(void)
{
	char buf[256];

	/* unified (cgroup v2 only) */
	CHECK(mount_of("22 1 0:21 / /sys rw - sysfs sysfs rw\n"
		       "30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw\n",
		       buf, sizeof(buf)) == 0 && !strcmp(buf, "/sys/fs/cgroup"));
	/* systemd's hybrid layout: v1 controllers, v2 under unified */
	CHECK(mount_of("31 22 0:27 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
		       "32 31 0:28 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
		       "33 31 0:29 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd\n",
		       buf, sizeof(buf)) == 0 && !strcmp(buf, "/sys/fs/cgroup/unified"));
	/* v1 only: no cgroup2 */
	CHECK(mount_of("33 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
		       buf, sizeof(buf)) == -2);
	/* several optional fields, and a blank escaped in the mount point */
	CHECK(mount_of("40 1 0:30 / /mnt/my\\040cgroups rw shared:1 master:2 - cgroup2 none rw\n",
		       buf, sizeof(buf)) == 0 && !strcmp(buf, "/mnt/my cgroups"));
	/* a mount point longer than the buffer is skipped */
	CHECK(mount_of("40 1 0:30 / /a/very/long/path rw - cgroup2 none rw\n", buf, 8) == -2);
	/* garbage */
	CHECK(mount_of("- cgroup2\n\n - \nx - cgroup2\n", buf, sizeof(buf)) == -2);
}

/* /proc/net/stat/nf_conntrack: columns found by name, summed over CPUs,
 * as 6.18 writes it and as 5.10 did (other columns, other order). */
static void test_conntrack_counters_by_column_name(void)
{
	static const char now[] =
		"entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
		"00000005  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002 0000000a 00000001 00000000  00000000 00000000 00000000 00000000\n"
		"00000005  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000010 00000000 00000000  00000000 00000000 00000000 00000000\n";
	static const char old[] =
		"entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
		"00000009  00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000000 000000ff 00000000 00000000  00000000 00000000 00000000 00000000\n";
	struct pl_conntrack_counters c;

	CHECK(conntrack__parse_counters(now, sizeof(now) - 1, &c) == 0);
	CHECK(c.drop == 0x1a && c.early_drop == 1 && c.insert_failed == 3);
	CHECK(conntrack__parse_counters(old, sizeof(old) - 1, &c) == 0);
	CHECK(c.drop == 0xff && c.early_drop == 0 && c.insert_failed == 0);
	/* a header without the columns, or a row that is not hex */
	CHECK(conntrack__parse_counters("a b c\n1 2 3\n", 12, &c) == -EINVAL);
	CHECK(conntrack__parse_counters("drop\nzz\n", 8, &c) == -EINVAL);
	CHECK(conntrack__parse_counters("", 0, &c) == -EINVAL);
}

struct row {
	int key;
	char pad[12];
};

static int cmp_row_ptr(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;

	return (x->key > y->key) - (x->key < y->key);
}

static void test_arrays_grow_and_sort(void)
{
	struct row *rows = NULL;
	const struct row **view;
	size_t cap = 0, n, i;
	bool sorted = true;

	/* Doubling from the first capacity, only when needed. */
	CHECK(array__reserve(&rows, &cap, 1, sizeof(*rows), 4) == 0 && cap == 4 && rows);
	CHECK(array__reserve(&rows, &cap, 4, sizeof(*rows), 4) == 0 && cap == 4);
	CHECK(array__reserve(&rows, &cap, 5, sizeof(*rows), 4) == 0 && cap == 8);
	CHECK(array__reserve(&rows, &cap, 100, sizeof(*rows), 4) == 0 && cap == 128);
	for (n = 0; n < 100; n++)
		rows[n].key = (int)((n * 37) % 100);
	/* Too big to allocate: the array and its capacity stay as they were. */
	CHECK(array__reserve(&rows, &cap, (size_t)-1 / 2, sizeof(*rows), 4) == -ENOMEM &&
	      cap == 128 && rows[99].key == (99 * 37) % 100);
	view = (const struct row **)array__sorted_ptrs(rows, n, sizeof(*rows), cmp_row_ptr);
	CHECK(view != NULL);
	for (i = 0; view && i < n; i++)
		sorted = sorted && view[i]->key == (int)i && view[i] >= rows && view[i] < rows + n;
	CHECK(sorted);
	free(view);
	view = (const struct row **)array__sorted_ptrs(rows, 0, sizeof(*rows), cmp_row_ptr);
	CHECK(view != NULL); /* none: still a view to free */
	free(view);
	free(rows);
}

int main(void)
{
	test_cgroup2_mount_on_every_layout();
	test_conntrack_counters_by_column_name();
	test_arrays_grow_and_sort();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
