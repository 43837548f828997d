/* rc-routing.h: Netceptor link-state routing, pure logic (wire.md 6).
 *
 * RcRouting holds the tables of wire.md 6.1 except the link table: the
 * known-node table (node -> newest accepted epoch/sequence), the known-cost
 * table (`known`: node -> neighbour -> cost), the seen-update table, the own
 * sequence counter, and the last computed routing table and path costs.
 *
 * The runtime (rc-netceptor.c) feeds it link events and received routing
 * updates, and acts on the returned RcRoutingResult (flood, schedule, log,
 * shut down). Nothing here sends, schedules or logs above debug. Time is
 * passed in (`now_us`, monotonic microseconds) so tests need no clock.
 */
#pragma once

#include <glib.h>

#include "rc-wire.h"

typedef struct _RcRouting RcRouting;

/* Why rc_routing_handle_update decided what it did (wire.md 6.4). */
typedef enum {
	RC_ROUTING_ACCEPTED = 0,        /* step 5: stored (maybe changed) and to be flooded */
	RC_ROUTING_SUSPECT = 1,         /* step 4: SuspectedDuplicate != 0; flood, log warning */
	RC_ROUTING_IGNORED_NO_NODE = 2, /* step 1: empty NodeID */
	RC_ROUTING_IGNORED_OWN = 3,     /* step 2.1: our own update echoed back */
	RC_ROUTING_WE_ARE_DUPLICATE = 4, /* step 2.2: we are the impostor: log, shut down */
	RC_ROUTING_DUPLICATE_DETECTED = 5, /* step 2.3: a newer process uses our ID */
	RC_ROUTING_IGNORED_OWN_OLDER = 6, /* step 2: own ID, older epoch: ignore */
	RC_ROUTING_IGNORED_SEEN = 7,    /* step 3: UpdateID already seen */
	RC_ROUTING_IGNORED_OLD_EPOCH = 8, /* step 5.1 */
	RC_ROUTING_IGNORED_OLD_SEQUENCE = 9, /* step 5.1 */
	RC_ROUTING_IGNORED_TOO_MANY_NODES = 10 /* RC_ROUTING_MAX_KNOWN_NODES reached */
} RcRoutingVerdict;

/* What the runtime must do (a bit set). */
typedef enum {
	RC_ROUTING_DO_NOTHING = 0,
	/* Re-flood the update with ForwardingNode = own ID to every established link
	 * except the one it came in on (step 7; use rc_routing_update_encode on a
	 * copy with forwarding_node replaced). */
	RC_ROUTING_DO_FLOOD = 1 << 0,
	/* Request a routing-table recomputation within 100 ms (step 5.5, 6.8). */
	RC_ROUTING_DO_RECOMPUTE = 1 << 1,
	/* Request an own routing-update flood within 100 ms (step 5.2: new node). */
	RC_ROUTING_DO_SEND_UPDATE = 1 << 2,
	/* Add the update's NodeID to the name-hash table (step 5.2, wire.md 1.4). */
	RC_ROUTING_DO_ADD_NAME = 1 << 3,
	/* Log `Duplicate node ID %s detected via %s` and flood NOW an own update made
	 * with rc_routing_make_update(..., result.suspected_epoch) (wire.md 6.6). */
	RC_ROUTING_DO_SEND_DUPLICATE = 1 << 4,
	/* Log `We are a duplicate node with ID %s and epoch %d.  Shutting down.` and
	 * shut the node down (wire.md 6.6). */
	RC_ROUTING_DO_SHUTDOWN = 1 << 5
} RcRoutingDo;

typedef struct {
	guint32 verdict;         /* RcRoutingVerdict */
	guint32 todo;            /* RcRoutingDo bits */
	guint64 suspected_epoch; /* for RC_ROUTING_DO_SEND_DUPLICATE: the impostor's epoch */
} RcRoutingResult;

/* A node with ID `own_id` (copied) and epoch `own_epoch` (wire.md 2.2: unix
 * seconds * 2^24 + random; see rc_routing_make_epoch). (transfer full) */
RcRouting *rc_routing_new(const char *own_id, guint64 own_epoch);
void rc_routing_free(RcRouting *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRouting, rc_routing_free)

/* An epoch for a node starting now: unix_seconds * 2^24 + random[0, 2^24). */
guint64 rc_routing_make_epoch(void);
const char *rc_routing_get_own_id(const RcRouting *r); /* (transfer none) */
guint64 rc_routing_get_own_epoch(const RcRouting *r);

/* A link to `peer` with `cost` became established: known[self][peer] =
 * known[peer][self] = cost (wire.md 5.3 step 8). The runtime then requests a
 * flood and a recomputation. */
void rc_routing_link_up(RcRouting *r, const char *peer, double cost);
/* The established link to `peer` ended: both directed entries are removed
 * (wire.md 5.6). The runtime then requests a flood and a recomputation. */
void rc_routing_link_down(RcRouting *r, const char *peer);

/* Judge a routing update received on the established link from `via`, after
 * the link checks of wire.md 5.4 (which stay in the runtime), and apply it to
 * the tables (wire.md 6.4). `now_us` stamps the seen-update entry. */
RcRoutingResult rc_routing_handle_update(RcRouting *r, const RcRoutingUpdate *ri,
					 const char *via, gint64 now_us);

/* Forget seen UpdateIDs recorded before now_us - 1 h (wire.md 6.1; call every
 * RC_ROUTING_SEEN_SWEEP_US). Returns how many were dropped. */
guint rc_routing_expire_seen(RcRouting *r, gint64 now_us);

/* Build the next own routing update (wire.md 6.2): sequence += 1, NodeID =
 * ForwardingNode = own ID, own epoch, Connections = known[self] (the established
 * links), SuspectedDuplicate = `suspected_duplicate` (0 normally). `update_id`
 * must be 8 chars from [0-9a-zA-Z] (see rc_routing_make_update_id).
 * The caller skips this when it has no established link, so that the sequence
 * is not consumed (wire.md 6.2). (transfer full) */
RcRoutingUpdate *rc_routing_make_update(RcRouting *r, const char *update_id,
					guint64 suspected_duplicate);
/* 8 random chars from the 62-char set (cryptographic RNG, wire.md 2.2). (transfer full) */
char *rc_routing_make_update_id(void);

/* Recompute the routing table and path costs from `known` (wire.md 6.7):
 * Dijkstra from the own node, relaxation with strict <, ties between
 * equal-cost paths broken deterministically (the predecessor reached first in
 * (distance, node ID) order wins). Returns TRUE when the table changed. */
gboolean rc_routing_recompute(RcRouting *r);

/* Next hop towards `dest` from the last computation, NULL when unreachable or
 * own node. (transfer none) */
const char *rc_routing_next_hop(const RcRouting *r, const char *dest);
/* Path cost to `node` from the last computation; G_MAXDOUBLE when unreachable
 * or unknown, 0 for the own node (wire.md 6.7). */
double rc_routing_path_cost(const RcRouting *r, const char *node);
/* The last routing table: dest (char*) -> next hop (char*). (transfer none) */
GHashTable *rc_routing_get_table(const RcRouting *r);
/* The known-cost table: node (char*) -> GHashTable (neighbour char* -> gdouble*).
 * (transfer none) For status output; do not modify. */
GHashTable *rc_routing_get_known(const RcRouting *r);
/* Known-node table lookup: TRUE and epoch/sequence of the newest accepted update. */
gboolean rc_routing_get_node(const RcRouting *r, const char *node, guint64 *epoch,
			     guint64 *sequence);

/* The Info text printed after each computation (wire.md 6.7), lines joined by
 * '\n' without a final newline, nodes and peers sorted by ID:
 * "Known Connections:\n   a: b(1.00) \n...Routing Table:\n   b via b".
 * (transfer full) */
char *rc_routing_format_table(const RcRouting *r);
/* `peer(cost) peer(cost)` for the `Sending routing update` debug line (wire.md 6.2),
 * sorted by peer. (transfer full) */
char *rc_routing_format_connections(const RcRoutingUpdate *ru);
