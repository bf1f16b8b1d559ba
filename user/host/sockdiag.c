// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A small netlink client of our own: two request types, one answer each,
 * on a socket opened per call. No Debian library covers SOCK_DESTROY
 * (libmnl would only frame the messages, for a second dependency); the
 * answers are checked for length before use, and their parser is fuzzed
 * (tests/fuzz/fuzz_sockdiag.c). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "host/sockdiag.h"

struct request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

static void fill(struct request *r, __u16 type, __u16 flags, const struct pl_tuple *t,
		 const __u32 cookie[2])
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = sizeof(*r);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nlh.nlmsg_seq = 1;
	r->req.sdiag_family = t->family;
	r->req.sdiag_protocol = IPPROTO_TCP;
	r->req.idiag_states = ~0u;
	r->req.id.idiag_sport = htons(t->sport);
	r->req.id.idiag_dport = htons(t->dport);
	memcpy(r->req.id.idiag_src, t->saddr, t->family == PL_AF_INET ? 4 : 16);
	memcpy(r->req.id.idiag_dst, t->daddr, t->family == PL_AF_INET ? 4 : 16);
	r->req.id.idiag_cookie[0] = cookie ? cookie[0] : INET_DIAG_NOCOOKIE;
	r->req.id.idiag_cookie[1] = cookie ? cookie[1] : INET_DIAG_NOCOOKIE;
}

int sockdiag__answer(const void *buf, size_t n, struct inet_diag_msg *msg)
{
	const struct nlmsghdr *h = buf;

	if (n < sizeof(*h) || !NLMSG_OK(h, n))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) ?
				  ((const struct nlmsgerr *)NLMSG_DATA(h))->error : -EPROTO;

		return err <= 0 && err > -4096 ? err : -EPROTO; /* an errno, or an ack */
	}
	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return -EPROTO;
	if (msg)
		memcpy(msg, NLMSG_DATA(h), sizeof(*msg));
	return 0;
}

/* Send @r and read its one answer (see sockdiag__answer). */
static int ask(const struct request *r, struct inet_diag_msg *msg)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (sendto(fd, r, sizeof(*r), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		err = -errno;
	else if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
		err = -errno;
	else
		err = sockdiag__answer(buf, (size_t)n, msg);
	close(fd);
	return err;
}

int sockdiag__destroy(const struct pl_tuple *t, __u8 state, __u64 ino)
{
	struct inet_diag_msg found;
	struct request r;
	int err;

	fill(&r, SOCK_DIAG_BY_FAMILY, 0, t, NULL);
	if ((err = ask(&r, &found)))
		return err > 0 ? -ENOENT : err;
	if (found.idiag_state != state || (ino && found.idiag_inode != ino))
		return -ESTALE;
	/* The cookie names this very socket: a new one on the same 4-tuple
	 * since the lookup is not destroyed. */
	fill(&r, SOCK_DESTROY, NLM_F_ACK, t, found.id.idiag_cookie);
	return ask(&r, NULL);
}

int sockdiag__probe(void)
{
	struct pl_tuple none = { .family = PL_AF_INET };
	struct request r;
	int err;

	/* A dump of no state ends at once, if TCP has a handler at all. */
	fill(&r, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &none, NULL);
	r.req.idiag_states = 0;
	err = ask(&r, NULL);
	if (err < 0)
		return err;
	/* No socket has this 4-tuple: -ENOENT if it could be destroyed. */
	fill(&r, SOCK_DESTROY, NLM_F_ACK, &none, NULL);
	err = ask(&r, NULL);
	return err == -ENOENT ? 0 : err < 0 ? err : -EPROTO;
}
