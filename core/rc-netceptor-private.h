/* rc-netceptor-private.h: calls between rc-link.c and rc-netceptor.c only. */
#pragma once

#include <glib.h>

#include "rc-link.h"
#include "rc-netceptor.h"
#include "rc-wire.h"

/* Link table */
void rc_netceptor_link_added(RcNetceptor *nc, RcLink *link);
/* The link ended (any state): forget it; if it was the established link of
 * its node, run the teardown of wire.md 5.6 (costs removed, flood, recompute). */
void rc_netceptor_link_removed(RcNetceptor *nc, RcLink *link);
/* The established link to `node`, or NULL. (transfer none) */
RcLink *rc_netceptor_lookup_link(RcNetceptor *nc, const char *node);
/* Register an accepted link (wire.md 5.3 steps 6-9). */
void rc_netceptor_link_established(RcNetceptor *nc, RcLink *link);

/* The data queue of `link` fell below RC_LINK_SEND_QUEUE_LOW after it had
 * refused data: wake blocked local senders. */
void rc_netceptor_link_drained(RcNetceptor *nc, RcLink *link);

/* The initial connect message (wire.md 5.2): a fresh own routing update.
 * (transfer full) (nullable): NULL when it cannot be encoded (logged). */
GBytes *rc_netceptor_make_initial_update(RcNetceptor *nc);

/* Message handling on an established link (after the link checks). */
void rc_netceptor_handle_routing_update(RcNetceptor *nc, RcLink *link, RcRoutingUpdate *ru);
/* FALSE when the message is garbage and the link should be dropped
 * (`*why` then says why, transfer full). */
gboolean rc_netceptor_handle_data(RcNetceptor *nc, RcLink *link, GBytes *message, char **why);
void rc_netceptor_handle_service_ad(RcNetceptor *nc, RcLink *link, GBytes *message);
