/* rc-netceptor.h: the Netceptor runtime of one node (wire.md 5-8).
 *
 * RcNetceptor owns the link table, the name-hash table, the routing state
 * (rc-routing), the firewall (rc-firewall), the bound mesh services, the
 * service-advertisement table and the scheduled tasks (routing updates every
 * 10 s, route recomputation, advertisements every 60 s, idle checks every 5 s).
 * Links themselves live in rc-link.c; backends reach them through RcHost.
 *
 * Everything runs on the main loop of the node; nothing blocks.  Datagrams to
 * local services are delivered from an idle callback (never from inside the
 * call that sent them), so a service may send from its receive callback.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "rc-core.h"
#include "rc-wire.h"

G_BEGIN_DECLS

typedef struct _RcMeshService RcMeshService;

/* wire.md 13.1 */
#define RC_NETCEPTOR_ROUTE_UPDATE_US     (G_GINT64_CONSTANT(10) * G_USEC_PER_SEC)
#define RC_NETCEPTOR_REQUEST_DELAY_US    (G_GINT64_CONSTANT(100) * 1000)
#define RC_NETCEPTOR_ROUTE_TABLE_US      (G_GINT64_CONSTANT(24) * 3600 * G_USEC_PER_SEC)
#define RC_NETCEPTOR_SERVICE_AD_US       (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
#define RC_NETCEPTOR_SERVICE_AD_DELAY_US (G_GINT64_CONSTANT(5) * G_USEC_PER_SEC)
#define RC_NETCEPTOR_DEFAULT_MAX_IDLE_US (G_GINT64_CONSTANT(21) * G_USEC_PER_SEC)
#define RC_NETCEPTOR_IDLE_CHECK_US       (G_GINT64_CONSTANT(5) * G_USEC_PER_SEC)
#define RC_NETCEPTOR_PING_TIMEOUT_US     (G_GINT64_CONSTANT(10) * G_USEC_PER_SEC)
/* Local deliveries waiting for the idle dispatcher (STYLE.md 4 "cap datagrams
 * queued per service"; Go's per-listener channel holds 64 + a reader goroutine).
 * Beyond these, datagrams to local services are dropped (they are datagrams). */
#define RC_NETCEPTOR_LOCAL_QUEUE_MAX_ITEMS 4096
#define RC_NETCEPTOR_LOCAL_QUEUE_MAX_BYTES (8 * 1024 * 1024)
/* Above HIGH bytes, a stream link delivering more local datagrams stops
 * reading until the queue is below LOW (the consumers are CPU-bound QUIC
 * endpoints, so this only waits for the loop, streams.md pitfall 24). */
#define RC_NETCEPTOR_LOCAL_QUEUE_HIGH_BYTES (2 * 1024 * 1024)
#define RC_NETCEPTOR_LOCAL_QUEUE_LOW_BYTES (1024 * 1024)

/* A datagram for a bound service.  from_node/from_service (transfer none);
 * `payload` (transfer none): g_bytes_ref it to keep it. */
typedef void (*RcDatagramFunc)(RcMeshService *service, const char *from_node,
			       const char *from_service, GBytes *payload, gpointer user_data);

/* An unreachable notification about a message this service sent (wire.md 7.5):
 * `problem` is the spec text ("message expired", "blocked by firewall",
 * "service unknown"), `reporter` the node that generated it; to_node/to_service
 * name the destination of the failed message.  All (transfer none). */
typedef void (*RcUnreachableFunc)(RcMeshService *service, const char *reporter,
				  const char *to_node, const char *to_service,
				  const char *problem, gpointer user_data);

/* Called after each route recomputation that changed the routing table. */
typedef void (*RcRoutesChangedFunc)(RcNetceptor *nc, gpointer user_data);

/* ------------------------------------------------------------------ life cycle */

/* The node's Netceptor: reads core->node_id (required), core->max_idle_us (0 =
 * default 21 s) and core->firewall_rules (nullable aa{sv}; errors are the
 * firewall texts of config.md 11.3).  Starts the periodic tasks.  The caller
 * stores it in core->netceptor.  (transfer full) */
RcNetceptor *rc_netceptor_new(RcCore *core, GError **error);
/* The node's Netceptor, created on first use (RcCore's "modules created on
 * demand"): stored in core->netceptor, freed by rc_core_free through
 * rc_core_add_cleanup.  Backends, control and streams call this.
 * (transfer none) (nullable) */
RcNetceptor *rc_netceptor_ensure(RcCore *core, GError **error);
/* End every link, fail pending pings with "netceptor shutdown", withdraw
 * nothing (peers learn by idle timeout, as with Go).  Idempotent. */
void rc_netceptor_shutdown(RcNetceptor *nc);
/* Shutdown + free.  Accepts NULL. */
void rc_netceptor_free(RcNetceptor *nc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcNetceptor, rc_netceptor_free)

const char *rc_netceptor_get_node_id(RcNetceptor *nc); /* (transfer none) */
guint64 rc_netceptor_get_epoch(RcNetceptor *nc);
RcCore *rc_netceptor_get_core(RcNetceptor *nc); /* (transfer none) */

/* ------------------------------------------------------------------ services */

/* Bind `service` (1..8 bytes; "" or NULL picks an ephemeral name, wire.md 1.2)
 * for datagrams.  `recv` (nullable) gets every datagram addressed to it.
 * Errors (wire.md 1.2): "service name <s> too long",
 * "service <s> is already listening" (also for the reserved ping/unreach).
 * (transfer full): release with rc_mesh_service_unbind(). */
RcMeshService *rc_netceptor_bind(RcNetceptor *nc, const char *service, RcDatagramFunc recv,
				 gpointer user_data, GError **error);
/* Unbind: withdraws the advertisement (a Cancel ad is flooded at once, wire.md
 * 7.7) and frees the service; queued datagrams for it are dropped.  Accepts NULL. */
void rc_mesh_service_unbind(RcMeshService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcMeshService, rc_mesh_service_unbind)

const char *rc_mesh_service_get_name(RcMeshService *service); /* (transfer none) */
RcNetceptor *rc_mesh_service_get_netceptor(RcMeshService *service); /* (transfer none) */
/* Unreachable notifications for what this service sent (nullable func). */
void rc_mesh_service_set_unreachable_func(RcMeshService *service, RcUnreachableFunc func,
					  gpointer user_data);
/* Hops-to-live of what this service sends (default 30, wire.md 7.1). */
void rc_mesh_service_set_hops_to_live(RcMeshService *service, guint8 hops);

/* Flow control for senders that can wait (QUIC, streams.md pitfall 24):
 * can_send is FALSE when the link towards `node` has no room for `size`
 * bytes of data; the writable func (nullable) is then called once, from the
 * main loop, when a link queue has drained (recheck with can_send).  TRUE
 * when the node is local or has no route (rc_mesh_service_send reports it). */
typedef void (*RcWritableFunc)(RcMeshService *service, gpointer user_data);
gboolean rc_mesh_service_can_send(RcMeshService *service, const char *node, gsize size);
void rc_mesh_service_set_writable_func(RcMeshService *service, RcWritableFunc func,
				       gpointer user_data);

/* Send one datagram from this service to node:service ("localhost" = this
 * node).  Local errors (wire.md 7.2/7.3), as GError messages:
 * "service name too long", "service unknown" (local destination without a
 * listener), "no route to node", "no connection to next hop".  A firewall drop
 * or reject is not an error here (a reject comes back as an unreachable). */
gboolean rc_mesh_service_send(RcMeshService *service, const char *node, const char *to_service,
			      GBytes *payload, GError **error);

/* Advertise the service (wire.md 7.7): conn_type RC_CONN_TYPE_*, `tags`
 * (nullable) an a{ss} or a{sv} of strings (a floating reference is consumed).
 * The first flood happens within 5 s, then every 60 s.  Calling it again replaces type and tags. */
void rc_mesh_service_advertise(RcMeshService *service, guint8 conn_type, GVariant *tags);
/* Withdraw the advertisement (Cancel flooded at once).  No-op when not advertised. */
void rc_mesh_service_unadvertise(RcMeshService *service);

/* The node's work types, attached to advertisements tagged "Control Service"
 * (wire.md 2.3) and to local ads in status (control.md 3.1).
 * `commands`: RcWorkCommand* (copied); NULL or empty = none. */
void rc_netceptor_set_work_commands(RcNetceptor *nc, GPtrArray *commands);

/* ------------------------------------------------------------------ ping / traceroute */

/* Ping `target` (wire.md 7.6): bind an ephemeral service with hops-to-live
 * `hops` (30 for control `ping`), send an empty datagram to target:ping and
 * wait for the reply, an unreachable, 10 s, cancellation or shutdown. */
void rc_netceptor_ping_async(RcNetceptor *nc, const char *target, guint8 hops,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data);
/* TRUE on a reply.  Always sets *from (transfer full: the replying node, or on
 * failure the node that produced the error, the local node for local errors)
 * and *rtt_us (elapsed time).  On failure the GError message is the spec text:
 * "no route to node", "no connection to next hop", "message expired",
 * "blocked by firewall", "service unknown", "timeout", "user cancelled",
 * "netceptor shutdown". */
gboolean rc_netceptor_ping_finish(RcNetceptor *nc, GAsyncResult *result, char **from,
				  gint64 *rtt_us, GError **error);

/* One traceroute hop (control.md 3.3). */
typedef struct {
	guint hop;
	char *from;
	gint64 rtt_us;
	char *error; /* nullable: only on the terminating failed hop */
} RcTraceHop;

void rc_trace_hop_free(RcTraceHop *hop);

/* Ping with hops 0, 1, ... 30 until the target answers or an error other than
 * "message expired" (wire.md 7.6). */
void rc_netceptor_traceroute_async(RcNetceptor *nc, const char *target,
				   GCancellable *cancellable, GAsyncReadyCallback callback,
				   gpointer user_data);
/* (transfer full) RcTraceHop* in hop order; NULL only when cancelled before
 * the first hop finished. */
GPtrArray *rc_netceptor_traceroute_finish(RcNetceptor *nc, GAsyncResult *result,
					  GError **error);

/* ------------------------------------------------------------------ status */

typedef struct {
	char *node_id;
	double cost;
} RcConnectionInfo;

void rc_connection_info_free(RcConnectionInfo *info);

/* Established links, sorted by node ID.  (transfer full) RcConnectionInfo* */
GPtrArray *rc_netceptor_dup_connections(RcNetceptor *nc);
/* dest -> next hop (char* -> char*).  (transfer none) */
GHashTable *rc_netceptor_get_routing_table(RcNetceptor *nc);
/* node -> (neighbour -> gdouble*).  (transfer none) */
GHashTable *rc_netceptor_get_known_costs(RcNetceptor *nc);
/* Every advertisement known, local ones with Time = now and the work
 * commands attached (control.md 3.1), sorted by (NodeID, Service).
 * (transfer full) RcServiceAd* */
GPtrArray *rc_netceptor_dup_advertisements(RcNetceptor *nc);
/* Path cost to `node` (G_MAXDOUBLE when unreachable, 0 for the own node). */
double rc_netceptor_path_cost(RcNetceptor *nc, const char *node);
/* Does a route to `node` exist (the own node counts)? */
gboolean rc_netceptor_has_route(RcNetceptor *nc, const char *node);

/* Watch route changes; returns an id for rc_netceptor_unwatch_routes (> 0). */
guint rc_netceptor_watch_routes(RcNetceptor *nc, RcRoutesChangedFunc func, gpointer user_data);
void rc_netceptor_unwatch_routes(RcNetceptor *nc, guint id);

G_END_DECLS
