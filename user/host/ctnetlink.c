// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A ctnetlink dump of our own. Debian's libnetfilter-conntrack and libmnl
 * ship no static archive, and portleak is one static file; one request
 * and one answer type are all it takes. The answers are read with every
 * length checked against the bytes received, and their reader is fuzzed
 * (tests/fuzz/fuzz_ctnetlink.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "host/ctnetlink.h"

#define CT_ANSWER ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)

/* The attributes inside [p, p + len): each in turn into *type, *data and
 * *size, 1 while there is one, 0 at the end (a torn one ends it too). */
struct attrs {
	const char *p, *end;
};

static int next_attr(struct attrs *a, __u16 *type, const char **data, size_t *size)
{
	size_t left = (size_t)(a->end - a->p), step;
	struct nlattr h;

	if (left < NLA_HDRLEN)
		return 0;
	memcpy(&h, a->p, sizeof(h));
	if (h.nla_len < NLA_HDRLEN || h.nla_len > left)
		return 0;
	*type = h.nla_type & NLA_TYPE_MASK;
	*data = a->p + NLA_HDRLEN;
	*size = h.nla_len - NLA_HDRLEN;
	step = NLA_ALIGN(h.nla_len);
	a->p += step < left ? step : left;
	return 1;
}

static struct attrs attrs_of(const char *data, size_t size)
{
	return (struct attrs){ data, data + size };
}

static __u16 port_of(const char *data, size_t size)
{
	__u16 be = 0;

	if (size >= sizeof(be))
		memcpy(&be, data, sizeof(be));
	return ntohs(be);
}

static __u32 u32_of(const char *data, size_t size)
{
	__u32 be = 0;

	if (size >= sizeof(be))
		memcpy(&be, data, sizeof(be));
	return ntohl(be);
}

static void addr_of(const char *data, size_t size, size_t want, __u8 family, __u8 *addr,
		    struct pl_tuple *t)
{
	if (size < want)
		return;
	memcpy(addr, data, want);
	t->family = family;
}

static void read_ip(const char *data, size_t size, struct pl_tuple *t)
{
	struct attrs a = attrs_of(data, size);
	const char *d;
	size_t n;
	__u16 type;

	while (next_attr(&a, &type, &d, &n)) {
		if (type == CTA_IP_V4_SRC)
			addr_of(d, n, 4, PL_AF_INET, t->saddr, t);
		else if (type == CTA_IP_V4_DST)
			addr_of(d, n, 4, PL_AF_INET, t->daddr, t);
		else if (type == CTA_IP_V6_SRC)
			addr_of(d, n, 16, PL_AF_INET6, t->saddr, t);
		else if (type == CTA_IP_V6_DST)
			addr_of(d, n, 16, PL_AF_INET6, t->daddr, t);
	}
}

static void read_proto(const char *data, size_t size, struct pl_tuple *t, __u8 *proto)
{
	struct attrs a = attrs_of(data, size);
	const char *d;
	size_t n;
	__u16 type;

	while (next_attr(&a, &type, &d, &n)) {
		if (type == CTA_PROTO_NUM && n >= 1)
			*proto = (__u8)d[0];
		else if (type == CTA_PROTO_SRC_PORT)
			t->sport = port_of(d, n);
		else if (type == CTA_PROTO_DST_PORT)
			t->dport = port_of(d, n);
	}
}

static void read_tuple(const char *data, size_t size, struct pl_tuple *t, __u8 *proto)
{
	struct attrs a = attrs_of(data, size);
	const char *d;
	size_t n;
	__u16 type;

	while (next_attr(&a, &type, &d, &n)) {
		if (type == CTA_TUPLE_IP)
			read_ip(d, n, t);
		else if (type == CTA_TUPLE_PROTO)
			read_proto(d, n, t, proto);
	}
}

/* CTA_PROTOINFO: the TCP state, nested twice. */
static __u8 tcp_state_of(const char *data, size_t size)
{
	struct attrs outer = attrs_of(data, size), inner;
	const char *d;
	size_t n;
	__u16 type;

	while (next_attr(&outer, &type, &d, &n)) {
		if (type != CTA_PROTOINFO_TCP)
			continue;
		inner = attrs_of(d, n);
		while (next_attr(&inner, &type, &d, &n))
			if (type == CTA_PROTOINFO_TCP_STATE && n >= 1)
				return (__u8)d[0];
	}
	return 0;
}

/* One entry's attributes, after its struct nfgenmsg. */
static void read_entry(const char *data, size_t size, struct pl_ct_row *row)
{
	struct attrs a = attrs_of(data, size);
	const char *d;
	size_t n;
	__u16 type;
	__u8 proto = 0;

	memset(row, 0, sizeof(*row));
	while (next_attr(&a, &type, &d, &n)) {
		if (type == CTA_TUPLE_ORIG)
			read_tuple(d, n, &row->orig, &row->proto);
		else if (type == CTA_TUPLE_REPLY)
			read_tuple(d, n, &row->reply, &proto);
		else if (type == CTA_STATUS)
			row->status = u32_of(d, n);
		else if (type == CTA_TIMEOUT)
			row->timeout_s = u32_of(d, n);
		else if (type == CTA_PROTOINFO)
			row->tcp_state = tcp_state_of(d, n);
	}
}

/* One message: 1 at the dump's end, 0 after an entry, or an error. */
static int answer(const struct nlmsghdr *h, pl_ct_fn fn, void *ctx)
{
	const size_t head = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	struct pl_ct_row row;

	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) ?
				  ((const struct nlmsgerr *)NLMSG_DATA(h))->error : -EPROTO;

		return err < 0 && err > -4096 ? err : -EPROTO;
	}
	if (h->nlmsg_type != CT_ANSWER || h->nlmsg_len < head)
		return -EPROTO;
	read_entry((const char *)h + NLMSG_ALIGN(head), h->nlmsg_len - NLMSG_ALIGN(head), &row);
	return fn(&row, ctx);
}

int ctnetlink__answers(const void *buf, size_t len, pl_ct_fn fn, void *ctx)
{
	const char *p = buf, *end = p + len;
	size_t left, step;
	int r;

	while ((left = (size_t)(end - p)) >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p; /* 4-aligned: see below */

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
			return -EPROTO;
		if ((r = answer(h, fn, ctx)))
			return r;
		step = NLMSG_ALIGN(h->nlmsg_len);
		p += step < left ? step : left;
	}
	return p == (const char *)buf ? -EPROTO : 0;
}

static int request(int fd)
{
	struct {
		struct nlmsghdr nlh;
		struct nfgenmsg nfg;
	} r = {
		.nlh = { .nlmsg_len = sizeof(r),
			 .nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.nfg = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(fd, &r, sizeof(r), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ? -errno
											   : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the next answers no later than @deadline: 0, -ETIMEDOUT. */
static int wait_until(int fd, long long deadline)
{
	long long left = deadline - now_ms();
	struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };

	if (left <= 0)
		return -ETIMEDOUT;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ? -errno : 0;
}

int ctnetlink__dump(int timeout_ms, pl_ct_fn fn, void *ctx)
{
	enum { BUF = 65536 }; /* a recv takes what the kernel put in one skb */
	long long deadline = now_ms() + timeout_ms;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), err;
	char *buf = malloc(BUF); /* malloc aligns beyond NLMSG_ALIGNTO */
	ssize_t n;

	if (fd < 0 || !buf) {
		err = fd < 0 ? -errno : -ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		return err;
	}
	err = request(fd);
	while (!err && !(err = wait_until(fd, deadline))) {
		n = recv(fd, buf, BUF, 0);
		if (n < 0)
			err = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		else
			err = ctnetlink__answers(buf, (size_t)n, fn, ctx);
	}
	close(fd);
	free(buf);
	return err == 1 ? 0 : err;
}
