/* udp-link.h: one UDP session handed to the core as a message link
 * (wire.md 9.5: one Netceptor message = one datagram, no framing). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

typedef struct _UdpLink UdpLink;

/* Called once when the session is over for the backend (the core closed it or
 * the backend reported it broken), so the owner forgets it. */
typedef void (*UdpLinkDetachFunc)(gpointer owner, UdpLink *link);

struct _UdpLink {
	gint refs;
	const RcHost *host;
	RcLink *link;             /* NULL until link_open returned, and after the end */
	GSocket *socket;          /* (owned ref) listener socket or the peer's own */
	GSocketAddress *remote;   /* (owned) destination of send_to; NULL when connected */
	char *key;                /* "ip:port" of the remote end */
	gboolean done;            /* closed by the core or reported broken */
	GSource *writable;        /* waiting for room after RC_LINK_SEND_FULL */
	UdpLinkDetachFunc detach; /* nullable */
	gpointer owner;
	guint64 sent_datagrams;
	guint64 received_datagrams;
};

/* The ops every UDP session gives the core. */
extern const RcLinkOps udp_link_ops;

/* (transfer full) a session with two references: one for the core (dropped in
 * ops.close) and one for the `ended` callback (dropped by udp_link_ended). */
UdpLink *udp_link_new(const RcHost *host, GSocket *socket, GSocketAddress *remote,
		      const char *key, UdpLinkDetachFunc detach, gpointer owner);
UdpLink *udp_link_ref(UdpLink *link);
void udp_link_unref(UdpLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UdpLink, udp_link_unref)

/* Hand the session to the core (host->link_open).  On failure both references
 * are dropped and FALSE is returned with `error` set. */
gboolean udp_link_open(UdpLink *link, RcEntity *entity, RcLinkEndedFunc ended,
		       gpointer ended_data, GError **error);

/* Deliver one received datagram to the core (no-op once done). */
void udp_link_deliver(UdpLink *link, const guint8 *data, gsize len);

/* The backend ends the session: tell the core (reason nullable for a clean
 * end) and detach from the owner.  No-op once done. */
void udp_link_fail(UdpLink *link, const GError *reason);

/* Drop the `ended` callback's reference (RcLinkEndedFunc-shaped helper for
 * owners that pass the UdpLink as ended_data). */
void udp_link_ended(gpointer user_data, const GError *reason);
