// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ledger.h"
#include "loader/pin.h"
#include "portleak.skel.h"
#include "host/sysinfo.h"

#define LAYOUT_PIN "layout"
#define LAYOUT_MAGIC "portleak"

/* The value of the one-entry array pinned as DIR/layout: the layout version,
 * the size of everything the pinned maps hold and the fixed map sizes (a
 * pinned map is reused only with the same max_entries). */
struct layout {
	char magic[8];
	__u32 version;
	__u32 socket, owner, owner_stats, tuple, timewait, nr_counters;
	__u32 owners_entries, timewait_entries;
	__u32 tally; /* sizeof(struct pl_tally) times PL_TALLY_SLOTS */
};

static const char *const pinned_maps[] = { "ledger", "owners", "tallies", "timewait", "counters" };
/* Every name portleak pins in its directory (pin__use), the stamp too. */
static const char *const pin_names[] = { "ledger", "owners", "tallies", "timewait", "counters",
					 "stacks", "origins", LAYOUT_PIN };

static struct layout this_layout(void)
{
	struct layout l = {
		.version = PL_LAYOUT_VERSION,
		.socket = sizeof(struct pl_socket),
		.owner = sizeof(struct pl_owner),
		.owner_stats = sizeof(struct pl_owner_stats),
		.tuple = sizeof(struct pl_tuple),
		.timewait = sizeof(struct pl_timewait),
		.nr_counters = PL_NR_COUNTERS,
		.owners_entries = PL_OWNERS_DEFAULT,
		.timewait_entries = PL_TIMEWAIT_DEFAULT,
		.tally = sizeof(struct pl_tally) * PL_TALLY_SLOTS,
	};

	memcpy(l.magic, LAYOUT_MAGIC, sizeof(l.magic));
	return l;
}

static int path_of(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* @dir exists on bpffs afterwards, or @why says why not. */
static int make_dir(const char *dir, struct pl_why *why)
{
	char buf[PATH_MAX];
	const char *parent;
	int err;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	parent = dirname(buf);
	if (access(dir, F_OK) && !sysinfo__on_bpffs(parent)) {
		return why__set(why, -ENOTSUP, "no BPF filesystem for --pin-dir %s: mount one with 'mount -t bpf bpf %s'",
				dir, parent);
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		return why__set(why, err, "cannot create --pin-dir %s: %s", dir, strerror(-err));
	}
	if (!sysinfo__on_bpffs(dir)) {
		return why__set(why, -ENOTSUP, "--pin-dir %s is not on the BPF filesystem (bpffs): maps can only be pinned there",
				dir);
	}
	return 0;
}

/* The map pinned as DIR/NAME, with its info: an fd, or negative errno. */
static int open_pinned(const char *dir, const char *name, struct bpf_map_info *info)
{
	char path[PATH_MAX];
	__u32 len = sizeof(*info);
	int fd, err;

	if ((err = path_of(path, dir, name)))
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if ((err = bpf_obj_get_info_by_fd(fd, info, &len))) {
		close(fd);
		return err;
	}
	return fd;
}

/* DIR/layout into @found: 0, -ENOENT when there is none, -EPROTO when it
 * is not a layout stamp at all. */
static int read_layout(const char *dir, struct layout *found)
{
	struct bpf_map_info info;
	__u32 key = 0;
	int fd = open_pinned(dir, LAYOUT_PIN, &info), err = 0;

	if (fd < 0)
		return fd;
	if (info.value_size != sizeof(*found))
		err = -EPROTO;
	else if (bpf_map_lookup_elem(fd, &key, found))
		err = -errno;
	close(fd);
	return err;
}

static int pinned_size(const char *dir, const char *name, __u32 *entries)
{
	struct bpf_map_info info;
	int fd = open_pinned(dir, name, &info);

	if (fd < 0)
		return fd;
	close(fd);
	*entries = info.max_entries;
	return 0;
}

static bool any_map_pinned(const char *dir)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++)
		if (!path_of(path, dir, pinned_maps[i]) && access(path, F_OK) == 0)
			return true;
	return false;
}

static bool is_pin_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (!strcmp(name, pin_names[i]))
			return true;
	return false;
}

/* Whether the map pinned as DIR/NAME is one this build would make: the
 * name it was created with, its type, key and value sizes. */
static bool like_ours(struct portleak_bpf *skel, const char *dir, const char *name)
{
	const struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, name);
	struct bpf_map_info info;
	int fd;

	if (!m || !strcmp(name, LAYOUT_PIN) || (fd = open_pinned(dir, name, &info)) < 0)
		return false;
	close(fd);
	return !strcmp(info.name, name) && info.type == (__u32)bpf_map__type(m) &&
	       info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m);
}

/* A directory without a stamp that holds only BPF maps this build would
 * pin there, under their own names: what a portleak killed during its
 * start-up left (earlier releases stamped the directory after the load).
 * Its maps hold a fraction of a second of counts. */
static bool half_made(const char *dir)
{
	struct portleak_bpf *skel = portleak_bpf__open();
	struct dirent *d;
	bool ours = skel != NULL;
	DIR *dh = ours ? opendir(dir) : NULL;

	ours = dh != NULL;
	while (ours && (d = readdir(dh)))
		ours = d->d_name[0] == '.' || (is_pin_name(d->d_name) && like_ours(skel, dir, d->d_name));
	if (dh)
		closedir(dh);
	portleak_bpf__destroy(skel);
	return ours;
}

static int empty_dir(const char *dir)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		if ((err = path_of(path, dir, pin_names[i])))
			return err;
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* A directory with nothing of ours in it gets its stamp before any map
 * is pinned there, so that a kill -9 at any instant of the start leaves
 * a directory the next start recognises. */
static int start_fresh(const char *dir, struct pl_why *why)
{
	int err = pin__stamp(dir);

	return err ? why__set(why, err, "cannot stamp --pin-dir %s: %s", dir, strerror(-err)) : 0;
}

int pin__check(const char *dir, __u32 *ledger_size, struct pl_why *why)
{
	struct layout want = this_layout(), found;
	int err;

	*ledger_size = 0;
	if ((err = make_dir(dir, why)))
		return err;
	err = read_layout(dir, &found);
	if (err == -ENOENT && !any_map_pinned(dir))
		return start_fresh(dir, why);
	if (err == -ENOENT && half_made(dir)) {
		fprintf(stderr, "portleak: %s was left half made by a portleak stopped during its start: starting it afresh\n",
			dir);
		if ((err = empty_dir(dir)))
			return why__set(why, err, "cannot empty --pin-dir %s: %s", dir, strerror(-err));
		return start_fresh(dir, why);
	}
	if (!err && !memcmp(&found, &want, sizeof(want))) {
		err = pinned_size(dir, "ledger", ledger_size);
		if (err == -ENOENT)
			return 0;
		return err ? why__set(why, err, "cannot read the ledger pinned in %s: %s", dir,
				      strerror(-err)) : 0;
	}
	if (err || memcmp(found.magic, want.magic, sizeof(want.magic)))
		return why__set(why, -EEXIST, "%s holds maps that are not portleak's, or of an unknown layout: refusing to read them; remove them (rm -r %s) or use another --pin-dir",
				dir, dir);
	if (found.version != want.version)
		return why__set(why, -EEXIST, "the maps pinned in %s have layout %u, this portleak has layout %u: refusing to read them; remove them (rm -r %s) or use another --pin-dir",
				dir, found.version, want.version, dir);
	return why__set(why, -EEXIST, "the maps pinned in %s have layout %u but other sizes (another build): refusing to read them; remove them (rm -r %s) or use another --pin-dir",
			dir, found.version, dir);
}

int pin__use(struct portleak_bpf *skel, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.ledger, skel->maps.owners, skel->maps.tallies,
				   skel->maps.timewait, skel->maps.counters, skel->maps.stacks,
				   skel->maps.origins };
	char path[PATH_MAX];
	size_t i;
	int err = 0;

	for (i = 0; !err && i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = path_of(path, dir, bpf_map__name(maps[i]));
		if (!err)
			err = bpf_map__set_pin_path(maps[i], path);
	}
	return err;
}

int pin__stamp(const char *dir)
{
	struct layout l = this_layout();
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	if ((err = path_of(path, dir, LAYOUT_PIN)))
		return err;
	if (access(path, F_OK) == 0)
		return 0; /* pin__check compared it */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_layout", sizeof(key), sizeof(l), 1, NULL);
	if (fd < 0)
		return -errno;
	err = bpf_map_update_elem(fd, &key, &l, BPF_ANY) ? -errno : 0;
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	return err;
}
