/* rc-netceptor.c: the Netceptor runtime (wire.md 5-8). */
#include "rc-netceptor.h"

#include <string.h>

#include "rc-firewall.h"
#include "rc-link.h"
#include "rc-netceptor-private.h"
#include "rc-routing.h"
#include "rc-wire.h"

/* ------------------------------------------------------------------ types */

typedef struct {
	RcNetceptor *nc;
	gint64 period_us;
	gint64 delay_us;
	gint64 next_us;
	guint source;
	void (*run)(RcNetceptor *nc);
} RcTick;

typedef struct {
	RcRoutesChangedFunc func;
	gpointer user_data;
	guint id;
} RcRouteWatch;

typedef enum {
	RC_LOCAL_DATAGRAM = 0,
	RC_LOCAL_UNREACHABLE = 1
} RcLocalKind;

/* One local delivery waiting for the idle dispatcher. */
typedef struct {
	RcLocalKind kind;
	char *service; /* the local service it is for */
	char *from_node;
	char *from_service;
	GBytes *payload;
	/* unreachable only */
	char *to_node;
	char *to_service;
	char *problem;
	guint64 serial; /* the service instance it was queued for */
} RcLocalItem;

struct _RcMeshService {
	RcNetceptor *nc;
	char *name;
	guint64 serial;
	RcDatagramFunc recv;
	gpointer recv_data;
	RcUnreachableFunc unreach;
	gpointer unreach_data;
	guint8 hops;
	RcWritableFunc writable;
	gpointer writable_data;
	gboolean blocked; /* can_send said no: call `writable` on the next drain */
	gboolean advertised;
	guint8 conn_type;
	GHashTable *tags; /* nullable char* -> char* */
	RcWireTime opened;
};

struct _RcNetceptor {
	RcCore *core;
	char *node_id;
	RcRouting *routing;
	RcFirewall *firewall;
	gint64 max_idle_us;
	GHashTable *names;  /* gint64* hash -> char* name (wire.md 1.4) */
	GPtrArray *links;   /* RcLink*: every open session */
	GHashTable *by_node; /* remote node -> RcLink* (established) */
	GHashTable *services; /* name -> RcMeshService* */
	guint64 next_serial;
	GHashTable *ads;    /* node -> (service -> RcServiceAd*) */
	GPtrArray *work_commands; /* RcWorkCommand* */
	RcTick tick_update;
	RcTick tick_table;
	RcTick tick_ads;
	guint idle_source;
	guint seen_source;
	GQueue local;       /* RcLocalItem* */
	gsize local_bytes;
	GSource *local_source;
	GPtrArray *local_paused; /* RcLink* paused until the local queue drains */
	GList *pings;       /* RcPing* pending */
	GList *watches;     /* RcRouteWatch* */
	guint next_watch;
	gboolean shut_down;
};

/* A data message being handled (wire.md 2.1, 7.2): names resolved. */
typedef struct {
	const char *from_node;
	const char *to_node;
	const char *from_service;
	const char *to_service;
	guint8 hops;
	const guint8 *payload;
	gsize payload_len;
	GBytes *message; /* nullable: the received message holding payload */
	RcLink *in_link; /* nullable: the link it arrived on */
} RcMsgData;

static void rc_netceptor_send_routing_update(RcNetceptor *nc);
static void rc_netceptor_recompute(RcNetceptor *nc);
static void rc_netceptor_send_service_ads(RcNetceptor *nc);
static gboolean rc_netceptor_handle_message_data(RcNetceptor *nc, const RcMsgData *md,
						 GError **error);

/* ------------------------------------------------------------------ helpers */

/* Go's time.Duration.String (wire.md 5.6: "21s", "1m0s", "1h30m0s"). */
static char *
rc_go_duration(gint64 us)
{
	GString *out = g_string_new(NULL);
	guint64 ns;
	guint64 h, m, s, frac;

	if (us < 0) {
		g_string_append_c(out, '-');
		us = -us;
	}
	ns = (guint64)us * 1000;
	if (ns == 0)
		return g_string_free(g_string_append(out, "0s"), FALSE);
	if (ns < 1000000000ULL) {
		guint64 unit = ns < 1000000ULL ? 1000 : 1000000;
		const char *name = ns < 1000000ULL ? "µs" : "ms";
		g_autofree char *f = NULL;

		if (ns < 1000) {
			g_string_append_printf(out, "%" G_GUINT64_FORMAT "ns", ns);
			return g_string_free(out, FALSE);
		}
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, ns / unit);
		frac = ns % unit;
		if (frac != 0) {
			f = g_strdup_printf(unit == 1000 ? "%03" G_GUINT64_FORMAT
							 : "%06" G_GUINT64_FORMAT,
					    frac);
			for (gsize i = strlen(f); i > 0 && f[i - 1] == '0'; i--)
				f[i - 1] = '\0';
			g_string_append_printf(out, ".%s", f);
		}
		g_string_append(out, name);
		return g_string_free(out, FALSE);
	}
	h = ns / (3600ULL * 1000000000ULL);
	m = (ns / (60ULL * 1000000000ULL)) % 60;
	s = (ns / 1000000000ULL) % 60;
	frac = ns % 1000000000ULL;
	if (h > 0)
		g_string_append_printf(out, "%" G_GUINT64_FORMAT "h", h);
	if (h > 0 || m > 0)
		g_string_append_printf(out, "%" G_GUINT64_FORMAT "m", m);
	g_string_append_printf(out, "%" G_GUINT64_FORMAT, s);
	if (frac != 0) {
		g_autofree char *f = g_strdup_printf("%09" G_GUINT64_FORMAT, frac);

		for (gsize i = strlen(f); i > 0 && f[i - 1] == '0'; i--)
			f[i - 1] = '\0';
		g_string_append_printf(out, ".%s", f);
	}
	g_string_append_c(out, 's');
	return g_string_free(out, FALSE);
}

/* wire.md 1.4: insert-if-absent; `localhost` means the own node. */
static guint64
rc_netceptor_add_name(RcNetceptor *nc, const char *name)
{
	guint64 hash;

	if (g_ascii_strcasecmp(name, "localhost") == 0)
		name = nc->node_id;
	hash = rc_wire_name_hash(name, strlen(name));
	if (!g_hash_table_contains(nc->names, &hash)) {
		gint64 *key = g_new(gint64, 1);

		*key = (gint64)hash;
		g_hash_table_insert(nc->names, key, g_strdup(name));
	}
	return hash;
}

static const char *
rc_netceptor_name_from_hash(RcNetceptor *nc, guint64 hash)
{
	gint64 key = (gint64)hash;

	return g_hash_table_lookup(nc->names, &key);
}

static void
rc_netceptor_flood(RcNetceptor *nc, GBytes *message, RcLink *except)
{
	/* a send may end a link (and change the table): take a snapshot first */
	g_autoptr(GList) links = g_hash_table_get_values(nc->by_node);

	for (GList *l = links; l != NULL; l = l->next) {
		if (l->data != except && g_hash_table_lookup(nc->by_node,
							     rc_link_get_remote_node(l->data)) == l->data)
			(void)rc_link_send(l->data, message);
	}
}

static char *
rc_random_name(void)
{
	/* wire.md 1.2: 8 chars of [0-9a-zA-Z] from a cryptographic RNG; rc-routing
	 * has the generator */
	return rc_routing_make_update_id();
}

/* ------------------------------------------------------------------ tick runners (6.8) */

static gboolean rc_tick_cb(gpointer user_data);

static void
rc_tick_arm(RcTick *t)
{
	gint64 now = g_get_monotonic_time();
	gint64 wait_us = t->next_us > now ? t->next_us - now : 0;

	g_clear_handle_id(&t->source, g_source_remove);
	t->source = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((wait_us + 999) / 1000),
				       rc_tick_cb, t, NULL);
}

static gboolean
rc_tick_cb(gpointer user_data)
{
	RcTick *t = user_data;

	t->source = 0;
	t->next_us = g_get_monotonic_time() + t->period_us;
	t->run(t->nc);
	if (!t->nc->shut_down)
		rc_tick_arm(t);
	return G_SOURCE_REMOVE;
}

static void
rc_tick_request(RcTick *t, gint64 delay_us)
{
	gint64 when;

	if (t->nc->shut_down)
		return;
	when = g_get_monotonic_time() + (delay_us > 0 ? delay_us : t->delay_us);
	if (when < t->next_us) {
		t->next_us = when;
		rc_tick_arm(t);
	}
}

static void
rc_tick_init(RcTick *t, RcNetceptor *nc, gint64 period_us, gint64 delay_us,
	     void (*run)(RcNetceptor *nc))
{
	t->nc = nc;
	t->period_us = period_us;
	t->delay_us = delay_us;
	t->run = run;
	t->next_us = g_get_monotonic_time() + period_us;
	rc_tick_arm(t);
}

/* ------------------------------------------------------------------ links */

void
rc_netceptor_link_added(RcNetceptor *nc, RcLink *link)
{
	g_ptr_array_add(nc->links, link);
}

RcLink *
rc_netceptor_lookup_link(RcNetceptor *nc, const char *node)
{
	return g_hash_table_lookup(nc->by_node, node);
}

void
rc_netceptor_link_removed(RcNetceptor *nc, RcLink *link)
{
	const char *remote = rc_link_get_remote_node(link);

	(void)g_ptr_array_remove_fast(nc->links, link);
	if (nc->local_paused != NULL)
		(void)g_ptr_array_remove_fast(nc->local_paused, link);
	if (remote != NULL && g_hash_table_lookup(nc->by_node, remote) == link) {
		/* wire.md 5.6: forget the costs, flood, recompute */
		g_hash_table_remove(nc->by_node, remote);
		rc_routing_link_down(nc->routing, remote);
		rc_tick_request(&nc->tick_update, RC_NETCEPTOR_REQUEST_DELAY_US);
		rc_tick_request(&nc->tick_table, RC_NETCEPTOR_REQUEST_DELAY_US);
	}
}

void
rc_netceptor_link_established(RcNetceptor *nc, RcLink *link)
{
	const char *remote = rc_link_get_remote_node(link);
	g_autofree char *line = g_strdup_printf("Connection established with %s", remote);

	g_hash_table_insert(nc->by_node, g_strdup(remote), link);
	g_strdelimit(line, "\r\n", ' ');
	g_info("%s", line);
	rc_netceptor_add_name(nc, remote);
	rc_routing_link_up(nc->routing, remote, rc_link_get_cost(link));
	rc_tick_request(&nc->tick_update, RC_NETCEPTOR_REQUEST_DELAY_US);
	rc_tick_request(&nc->tick_table, RC_NETCEPTOR_REQUEST_DELAY_US);
}

GBytes *
rc_netceptor_make_initial_update(RcNetceptor *nc)
{
	g_autofree char *id = rc_routing_make_update_id();
	g_autoptr(RcRoutingUpdate) ru = rc_routing_make_update(nc->routing, id, 0);
	GBytes *message = rc_routing_update_encode(ru);

	if (message == NULL)
		rc_log_error("Error Sending initial connection message: %s",
			     "json: unsupported value: NaN");
	return message;
}

/* ------------------------------------------------------------------ routing (6) */

static void
rc_netceptor_send_routing_update(RcNetceptor *nc)
{
	g_autofree char *id = NULL;
	g_autofree char *conns = NULL;
	g_autoptr(RcRoutingUpdate) ru = NULL;
	g_autoptr(GBytes) message = NULL;

	/* wire.md 6.2: nothing (and no sequence consumed) without links */
	if (g_hash_table_size(nc->by_node) == 0)
		return;
	id = rc_routing_make_update_id();
	ru = rc_routing_make_update(nc->routing, id, 0);
	message = rc_routing_update_encode(ru);
	if (message == NULL)
		return;
	conns = rc_routing_format_connections(ru);
	g_debug("Sending routing update %s. Connections: %s", id, conns);
	rc_netceptor_flood(nc, message, NULL);
}

static void
rc_netceptor_recompute(RcNetceptor *nc)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean changed;

	g_debug("Re-calculating routing table");
	changed = rc_routing_recompute(nc->routing);
	text = rc_routing_format_table(nc->routing);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		g_info("%s", lines[i]);
	{
		/* One debug line with the whole table (not in Go): tests and humans can
		 * read the current routes from a single line. */
		GHashTable *table = rc_routing_get_table(nc->routing);
		g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(table),
						     (GCompareFunc)strcmp);
		g_autoptr(GString) dump = g_string_new(NULL);

		for (GList *l = keys; l != NULL; l = l->next)
			g_string_append_printf(dump, " %s:%s", (const char *)l->data,
					       (const char *)g_hash_table_lookup(table, l->data));
		g_debug("Routing table dump:%s", dump->str);
	}
	if (changed) {
		GList *l = nc->watches;

		while (l != NULL) {
			RcRouteWatch *w = l->data;

			l = l->next; /* the callback may unwatch */
			w->func(nc, w->user_data);
		}
	}
}

void
rc_netceptor_handle_routing_update(RcNetceptor *nc, RcLink *link, RcRoutingUpdate *ru)
{
	const char *via = rc_link_get_remote_node(link);
	RcRoutingResult res = rc_routing_handle_update(nc->routing, ru, via,
						       g_get_monotonic_time());

	switch (res.verdict) {
	case RC_ROUTING_ACCEPTED:
	case RC_ROUTING_IGNORED_OLD_EPOCH:
	case RC_ROUTING_IGNORED_OLD_SEQUENCE:
	case RC_ROUTING_IGNORED_TOO_MANY_NODES: {
		g_autofree char *line = g_strdup_printf("Received routing update %s from %s via %s",
							ru->update_id, ru->node_id, via);

		g_strdelimit(line, "\r\n", ' ');
		g_debug("%s", line);
		break;
	}
	case RC_ROUTING_SUSPECT: {
		g_autofree char *line = g_strdup_printf(
			"Node %s with epoch %" G_GUINT64_FORMAT
			" sent update %s suspecting a duplicate node with epoch %" G_GUINT64_FORMAT,
			ru->node_id, ru->epoch, ru->update_id, ru->suspected_duplicate);

		g_strdelimit(line, "\r\n", ' ');
		rc_log_warning("%s", line);
		break;
	}
	default:
		break;
	}
	if (res.todo & RC_ROUTING_DO_ADD_NAME)
		rc_netceptor_add_name(nc, ru->node_id);
	if (res.todo & RC_ROUTING_DO_SEND_UPDATE)
		rc_tick_request(&nc->tick_update, RC_NETCEPTOR_REQUEST_DELAY_US);
	if (res.todo & RC_ROUTING_DO_RECOMPUTE)
		rc_tick_request(&nc->tick_table, RC_NETCEPTOR_REQUEST_DELAY_US);
	if (res.todo & RC_ROUTING_DO_SEND_DUPLICATE) {
		g_autofree char *line = g_strdup_printf("Duplicate node ID %s detected via %s",
							nc->node_id, via);
		g_autofree char *id = rc_routing_make_update_id();
		g_autoptr(RcRoutingUpdate) dup =
			rc_routing_make_update(nc->routing, id, res.suspected_epoch);
		g_autoptr(GBytes) message = rc_routing_update_encode(dup);
		g_autofree char *conns = rc_routing_format_connections(dup);

		g_strdelimit(line, "\r\n", ' ');
		rc_log_error("%s", line);
		rc_log_warning("Sending duplicate node notification %s. Connections: %s", id, conns);
		if (message != NULL)
			rc_netceptor_flood(nc, message, NULL);
	}
	if (res.todo & RC_ROUTING_DO_SHUTDOWN) {
		rc_log_error("We are a duplicate node with ID %s and epoch %" G_GUINT64_FORMAT
			     ".  Shutting down.",
			     nc->node_id, rc_routing_get_own_epoch(nc->routing));
		nc->core->exit_code = 1;
		if (nc->core->loop != NULL)
			g_main_loop_quit(nc->core->loop);
		rc_netceptor_shutdown(nc);
		return;
	}
	if (res.todo & RC_ROUTING_DO_FLOOD) {
		g_autoptr(RcRoutingUpdate) copy = rc_routing_update_copy(ru);
		g_autoptr(GBytes) message = NULL;

		g_free(copy->forwarding_node);
		copy->forwarding_node = g_strdup(nc->node_id);
		message = rc_routing_update_encode(copy);
		if (message != NULL)
			rc_netceptor_flood(nc, message, link);
	}
}

/* ------------------------------------------------------------------ local delivery */

static void
rc_local_item_free(RcLocalItem *item)
{
	g_free(item->service);
	g_free(item->from_node);
	g_free(item->from_service);
	g_clear_pointer(&item->payload, g_bytes_unref);
	g_free(item->to_node);
	g_free(item->to_service);
	g_free(item->problem);
	g_free(item);
}

static gboolean
rc_netceptor_local_cb(gpointer user_data)
{
	RcNetceptor *nc = user_data;
	guint budget = 256; /* yield to the loop between batches */

	while (budget-- > 0 && !g_queue_is_empty(&nc->local)) {
		RcLocalItem *item = g_queue_pop_head(&nc->local);
		RcMeshService *svc = g_hash_table_lookup(nc->services, item->service);

		if (item->payload != NULL)
			nc->local_bytes -= g_bytes_get_size(item->payload);
		if (svc != NULL && svc->serial == item->serial) {
			if (item->kind == RC_LOCAL_DATAGRAM && svc->recv != NULL)
				svc->recv(svc, item->from_node, item->from_service, item->payload,
					  svc->recv_data);
			else if (item->kind == RC_LOCAL_UNREACHABLE && svc->unreach != NULL)
				svc->unreach(svc, item->from_node, item->to_node, item->to_service,
					     item->problem, svc->unreach_data);
		}
		rc_local_item_free(item);
	}
	if (nc->local_paused != NULL && nc->local_bytes < RC_NETCEPTOR_LOCAL_QUEUE_LOW_BYTES) {
		g_autoptr(GPtrArray) paused = g_steal_pointer(&nc->local_paused);

		for (guint i = 0; i < paused->len; i++)
			rc_link_resume_reading(paused->pdata[i]);
	}
	if (g_queue_is_empty(&nc->local)) {
		g_clear_pointer(&nc->local_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void
rc_netceptor_queue_local(RcNetceptor *nc, RcLocalItem *item)
{
	gsize size = item->payload != NULL ? g_bytes_get_size(item->payload) : 0;

	if (g_queue_get_length(&nc->local) >= RC_NETCEPTOR_LOCAL_QUEUE_MAX_ITEMS ||
	    nc->local_bytes + size > RC_NETCEPTOR_LOCAL_QUEUE_MAX_BYTES) {
		g_debug("Local delivery queue full, dropping a datagram for service %s",
			item->service);
		rc_local_item_free(item);
		return;
	}
	nc->local_bytes += size;
	g_queue_push_tail(&nc->local, item);
	if (nc->local_source == NULL) {
		/* default priority: an idle priority would starve behind busy links */
		nc->local_source = g_idle_source_new();
		g_source_set_priority(nc->local_source, G_PRIORITY_DEFAULT);
		g_source_set_callback(nc->local_source, rc_netceptor_local_cb, nc, NULL);
		g_source_set_name(nc->local_source, "rc-netceptor-local");
		g_source_attach(nc->local_source, g_main_context_get_thread_default());
	}
}

/* Stop reading `link` while the local queue is above its high-water mark. */
static void
rc_netceptor_local_backpressure(RcNetceptor *nc, RcLink *link)
{
	if (link == NULL || nc->local_bytes < RC_NETCEPTOR_LOCAL_QUEUE_HIGH_BYTES)
		return;
	if (nc->local_paused == NULL)
		nc->local_paused = g_ptr_array_new();
	if (g_ptr_array_find(nc->local_paused, link, NULL))
		return;
	rc_link_pause_reading(link);
	g_ptr_array_add(nc->local_paused, link);
}

/* ------------------------------------------------------------------ datagrams (7) */

static void
rc_netceptor_send_unreachable(RcNetceptor *nc, const RcMsgData *md, const char *problem)
{
	g_autoptr(RcUnreachable) u = rc_unreachable_new(md->from_node, md->to_node,
							 md->from_service, md->to_service, problem);
	g_autoptr(GBytes) payload = rc_unreachable_encode(u);
	RcMsgData reply = {
		.from_node = nc->node_id,
		.to_node = md->from_node,
		.from_service = "unreach",
		.to_service = "unreach",
		.hops = RC_WIRE_DEFAULT_HOPS,
	};

	reply.payload = g_bytes_get_data(payload, &reply.payload_len);
	/* wire.md 7.4: send failures are ignored */
	(void)rc_netceptor_handle_message_data(nc, &reply, NULL);
}

static gboolean
rc_netceptor_forward(RcNetceptor *nc, const RcMsgData *md, GError **error)
{
	const char *next;
	RcLink *link;
	guint64 from_hash, to_hash;
	g_autoptr(GBytes) message = NULL;

	/* wire.md 7.3 */
	if (md->hops == 0) {
		if (g_strcmp0(md->from_service, "unreach") != 0)
			rc_netceptor_send_unreachable(nc, md, RC_PROBLEM_EXPIRED);
		return TRUE;
	}
	next = rc_routing_next_hop(nc->routing, md->to_node);
	if (next == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_NOT_FOUND, "no route to node");
		return FALSE;
	}
	link = g_hash_table_lookup(nc->by_node, next);
	if (link == NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_NOT_FOUND,
				    "no connection to next hop");
		return FALSE;
	}
	from_hash = rc_netceptor_add_name(nc, md->from_node);
	to_hash = rc_netceptor_add_name(nc, md->to_node);
	message = rc_wire_encode_data((guint8)(md->hops - 1), from_hash, to_hash,
				      md->from_service, md->to_service, md->payload,
				      md->payload_len);
	(void)rc_link_send_forwarded(link, message, md->in_link);
	return TRUE;
}

static gboolean
rc_netceptor_handle_unreach(RcNetceptor *nc, const RcMsgData *md, GError **error)
{
	g_autoptr(RcUnreachable) u = rc_unreachable_decode(md->payload, md->payload_len, error);
	RcMeshService *svc;

	if (u == NULL)
		return FALSE;
	rc_log_warning("Received unreachable message from %s (service %s) to %s (service %s): "
		       "ttl %u, data %s",
		       md->from_node, md->from_service, md->to_node, md->to_service,
		       (guint)md->hops, u->problem);
	if (g_strcmp0(u->from_node, nc->node_id) != 0)
		return TRUE;
	svc = g_hash_table_lookup(nc->services, u->from_service);
	if (svc != NULL) {
		RcLocalItem *item = g_new0(RcLocalItem, 1);

		item->kind = RC_LOCAL_UNREACHABLE;
		item->service = g_strdup(svc->name);
		item->serial = svc->serial;
		item->from_node = g_strdup(md->from_node);
		item->to_node = g_strdup(u->to_node);
		item->to_service = g_strdup(u->to_service);
		item->problem = g_strdup(u->problem);
		rc_netceptor_queue_local(nc, item);
	}
	return TRUE;
}

/* wire.md 7.2 */
static gboolean
rc_netceptor_handle_message_data(RcNetceptor *nc, const RcMsgData *md, GError **error)
{
	RcFirewallAction action;
	RcMeshService *svc;

	if (nc->shut_down) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, "netceptor shutdown");
		return FALSE;
	}
	action = rc_firewall_evaluate(nc->firewall, md->from_node, md->from_service, md->to_node,
				      md->to_service);
	if (action == RC_FIREWALL_DROP)
		return TRUE;
	if (action == RC_FIREWALL_REJECT) {
		if (g_strcmp0(md->from_service, "unreach") != 0)
			rc_netceptor_send_unreachable(nc, md, RC_PROBLEM_REJECTED);
		return TRUE;
	}
	if (g_strcmp0(md->to_node, nc->node_id) != 0)
		return rc_netceptor_forward(nc, md, error);

	if (g_strcmp0(md->to_service, "ping") == 0) {
		/* wire.md 7.6: answer with an empty payload, hops 30 */
		RcMsgData reply = {
			.from_node = nc->node_id,
			.to_node = md->from_node,
			.from_service = "ping",
			.to_service = md->from_service,
			.hops = RC_WIRE_DEFAULT_HOPS,
		};

		return rc_netceptor_handle_message_data(nc, &reply, error);
	}
	if (g_strcmp0(md->to_service, "unreach") == 0)
		return rc_netceptor_handle_unreach(nc, md, error);
	svc = g_hash_table_lookup(nc->services, md->to_service);
	if (svc != NULL) {
		RcLocalItem *item = g_new0(RcLocalItem, 1);

		item->kind = RC_LOCAL_DATAGRAM;
		item->service = g_strdup(svc->name);
		item->serial = svc->serial;
		item->from_node = g_strdup(md->from_node);
		item->from_service = g_strdup(md->from_service);
		if (md->message != NULL) {
			const guint8 *base = g_bytes_get_data(md->message, NULL);

			item->payload = g_bytes_new_from_bytes(
				md->message, (gsize)(md->payload - base), md->payload_len);
		} else {
			item->payload = g_bytes_new(md->payload, md->payload_len);
		}
		rc_netceptor_queue_local(nc, item);
		rc_netceptor_local_backpressure(nc, md->in_link);
		return TRUE;
	}
	if (g_strcmp0(md->from_node, nc->node_id) == 0) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_NOT_FOUND, RC_PROBLEM_SERVICE_UNKNOWN);
		return FALSE;
	}
	rc_netceptor_send_unreachable(nc, md, RC_PROBLEM_SERVICE_UNKNOWN);
	return TRUE;
}

gboolean
rc_netceptor_handle_data(RcNetceptor *nc, RcLink *link, GBytes *message, char **why)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(message, &len);
	RcDataHeader hdr;
	RcWireStatus status = rc_wire_decode_data(data, len, &hdr);
	RcMsgData md;
	g_autoptr(GError) error = NULL;

	if (status != RC_WIRE_OK) {
		/* Go logs and continues; only a broken peer sends a short data
		 * message, so we drop the link (docs/differences.md) */
		*why = g_strdup_printf("Error translating data to message struct: %s",
				       rc_wire_status_message(status));
		return FALSE;
	}
	md.from_node = rc_netceptor_name_from_hash(nc, hdr.from_node);
	md.to_node = rc_netceptor_name_from_hash(nc, hdr.to_node);
	if (md.from_node == NULL || md.to_node == NULL) {
		rc_log_error("Error translating data to message struct: hash not found");
		return TRUE;
	}
	md.from_service = hdr.from_service;
	md.to_service = hdr.to_service;
	md.hops = hdr.hops_to_live;
	md.payload = hdr.payload;
	md.payload_len = hdr.payload_len;
	md.message = message;
	md.in_link = link;
	if (!rc_netceptor_handle_message_data(nc, &md, &error))
		rc_log_error("Error handling message data: %s", error->message);
	return TRUE;
}

/* ------------------------------------------------------------------ services */

static void
rc_service_ad_table_put(RcNetceptor *nc, RcServiceAd *ad)
{
	GHashTable *per_node = g_hash_table_lookup(nc->ads, ad->node_id);

	if (per_node == NULL) {
		per_node = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)rc_service_ad_free);
		g_hash_table_insert(nc->ads, g_strdup(ad->node_id), per_node);
	}
	g_hash_table_insert(per_node, g_strdup(ad->service), ad);
}

static void
rc_service_ad_table_remove(RcNetceptor *nc, const char *node, const char *service)
{
	GHashTable *per_node = g_hash_table_lookup(nc->ads, node);

	if (per_node == NULL)
		return;
	g_hash_table_remove(per_node, service);
	if (g_hash_table_size(per_node) == 0)
		g_hash_table_remove(nc->ads, node);
}

void
rc_netceptor_handle_service_ad(RcNetceptor *nc, RcLink *link, GBytes *message)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(message, &len);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcServiceAd) ad = rc_service_ad_decode(data + 1, len - 1, &error);
	g_autofree char *line = NULL;
	GHashTable *per_node;
	RcServiceAd *old = NULL;

	if (ad == NULL) {
		rc_log_error("Error handling service advertisement: %s", error->message);
		return;
	}
	line = g_strdup_printf("Received service advertisement from %s", ad->node_id);
	g_strdelimit(line, "\r\n", ' ');
	g_debug("%s", line);
	/* wire.md 7.7: only a strictly newer Time is taken (the loop prevention) */
	per_node = g_hash_table_lookup(nc->ads, ad->node_id);
	if (per_node != NULL)
		old = g_hash_table_lookup(per_node, ad->service);
	if (old != NULL && rc_wire_time_compare(&ad->time, &old->time) <= 0)
		return;
	if (ad->cancel) {
		rc_service_ad_table_remove(nc, ad->node_id, ad->service);
	} else {
		rc_service_ad_table_put(nc, g_steal_pointer(&ad));
	}
	rc_netceptor_flood(nc, message, link);
}

static RcServiceAd *
rc_mesh_service_make_ad(RcMeshService *svc, gboolean cancel)
{
	RcNetceptor *nc = svc->nc;
	RcServiceAd *ad = rc_service_ad_new();

	g_free(ad->node_id);
	ad->node_id = g_strdup(nc->node_id);
	g_free(ad->service);
	ad->service = g_strdup(svc->name);
	rc_wire_time_now(&ad->time);
	ad->conn_type = svc->conn_type;
	ad->cancel = cancel;
	if (!cancel && svc->tags != NULL) {
		GHashTableIter iter;
		gpointer k, v;

		g_hash_table_iter_init(&iter, svc->tags);
		while (g_hash_table_iter_next(&iter, &k, &v))
			rc_service_ad_set_tag(ad, k, v);
		/* wire.md 2.3: WorkCommands only with the Control Service tag */
		if (g_strcmp0(g_hash_table_lookup(svc->tags, "type"), "Control Service") == 0 &&
		    nc->work_commands != NULL && nc->work_commands->len > 0) {
			for (guint i = 0; i < nc->work_commands->len; i++) {
				RcWorkCommand *wc = g_ptr_array_index(nc->work_commands, i);

				rc_service_ad_add_work_command(ad, wc->work_type, wc->secure);
			}
		}
	}
	return ad;
}

static void
rc_netceptor_send_service_ads(RcNetceptor *nc)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, nc->services);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcMeshService *svc = value;
		g_autoptr(RcServiceAd) ad = NULL;
		g_autoptr(GBytes) message = NULL;

		if (!svc->advertised)
			continue;
		ad = rc_mesh_service_make_ad(svc, FALSE);
		message = rc_service_ad_encode(ad);
		if (message == NULL) {
			rc_log_error("Error sending service advertisement: %s",
				     "time cannot be encoded");
			continue;
		}
		g_debug("Sending service advertisement: %s %s", ad->node_id, ad->service);
		rc_netceptor_flood(nc, message, NULL);
	}
}

RcMeshService *
rc_netceptor_bind(RcNetceptor *nc, const char *service, RcDatagramFunc recv, gpointer user_data,
		  GError **error)
{
	RcMeshService *svc;
	g_autofree char *name = NULL;

	g_return_val_if_fail(nc != NULL, NULL);
	if (service == NULL || service[0] == '\0') {
		/* wire.md 1.2: redraw on reserved or listening names */
		do {
			g_free(name);
			name = rc_random_name();
		} while (g_str_equal(name, "ping") || g_str_equal(name, "unreach") ||
			 g_hash_table_contains(nc->services, name));
	} else {
		if (!rc_wire_service_name_valid(service)) {
			g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "service name %s too long",
				    service);
			return NULL;
		}
		if (g_str_equal(service, "ping") || g_str_equal(service, "unreach") ||
		    g_hash_table_contains(nc->services, service)) {
			g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
				    "service %s is already listening", service);
			return NULL;
		}
		name = g_strdup(service);
	}
	svc = g_new0(RcMeshService, 1);
	svc->nc = nc;
	svc->name = g_steal_pointer(&name);
	svc->serial = ++nc->next_serial;
	svc->recv = recv;
	svc->recv_data = user_data;
	svc->hops = RC_WIRE_DEFAULT_HOPS;
	rc_wire_time_now(&svc->opened);
	/* wire.md 1.4: the service name is hashed too (harmless) */
	rc_netceptor_add_name(nc, svc->name);
	g_hash_table_insert(nc->services, svc->name, svc);
	return svc;
}

const char *
rc_mesh_service_get_name(RcMeshService *service)
{
	return service->name;
}

RcNetceptor *
rc_mesh_service_get_netceptor(RcMeshService *service)
{
	return service->nc;
}

void
rc_mesh_service_set_unreachable_func(RcMeshService *service, RcUnreachableFunc func,
				     gpointer user_data)
{
	service->unreach = func;
	service->unreach_data = user_data;
}

void
rc_mesh_service_set_hops_to_live(RcMeshService *service, guint8 hops)
{
	service->hops = hops;
}

gboolean
rc_mesh_service_send(RcMeshService *service, const char *node, const char *to_service,
		     GBytes *payload, GError **error)
{
	RcNetceptor *nc = service->nc;
	RcMsgData md = { 0 };

	if (!rc_wire_service_name_valid(to_service)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, "service name too long");
		return FALSE;
	}
	md.from_node = nc->node_id;
	md.to_node = g_ascii_strcasecmp(node, "localhost") == 0 ? nc->node_id : node;
	md.from_service = service->name;
	md.to_service = to_service;
	md.hops = service->hops;
	if (payload != NULL)
		md.payload = g_bytes_get_data(payload, &md.payload_len);
	return rc_netceptor_handle_message_data(nc, &md, error);
}

gboolean
rc_mesh_service_can_send(RcMeshService *service, const char *node, gsize size)
{
	RcNetceptor *nc = service->nc;
	const char *next;
	RcLink *link;

	if (g_ascii_strcasecmp(node, "localhost") == 0 || g_strcmp0(node, nc->node_id) == 0)
		return TRUE;
	next = rc_routing_next_hop(nc->routing, node);
	if (next == NULL)
		return TRUE;
	link = g_hash_table_lookup(nc->by_node, next);
	if (link == NULL)
		return TRUE;
	/* header + payload (wire.md 2.1) */
	if (rc_link_has_room(link, RC_WIRE_DATA_HEADER_LEN + size))
		return TRUE;
	service->blocked = TRUE;
	return FALSE;
}

void
rc_mesh_service_set_writable_func(RcMeshService *service, RcWritableFunc func,
				  gpointer user_data)
{
	service->writable = func;
	service->writable_data = user_data;
}

void
rc_netceptor_link_drained(RcNetceptor *nc, RcLink *link)
{
	g_autoptr(GPtrArray) wake = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer value;

	/* by name: a callback may unbind services */
	g_hash_table_iter_init(&iter, nc->services);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcMeshService *svc = value;

		if (svc->blocked && svc->writable != NULL)
			g_ptr_array_add(wake, g_strdup(svc->name));
	}
	for (guint i = 0; i < wake->len; i++) {
		RcMeshService *svc = g_hash_table_lookup(nc->services, wake->pdata[i]);

		if (svc != NULL && svc->blocked && svc->writable != NULL) {
			svc->blocked = FALSE;
			svc->writable(svc, svc->writable_data);
		}
	}
}

static void
rc_mesh_service_flood_cancel(RcMeshService *svc)
{
	g_autoptr(RcServiceAd) ad = rc_mesh_service_make_ad(svc, TRUE);
	g_autoptr(GBytes) message = rc_service_ad_encode(ad);

	rc_service_ad_table_remove(svc->nc, svc->nc->node_id, svc->name);
	if (message != NULL && !svc->nc->shut_down)
		rc_netceptor_flood(svc->nc, message, NULL);
}

void
rc_mesh_service_advertise(RcMeshService *service, guint8 conn_type, GVariant *tags)
{
	RcNetceptor *nc = service->nc;
	RcServiceAd *local;

	service->advertised = TRUE;
	service->conn_type = conn_type;
	g_clear_pointer(&service->tags, g_hash_table_unref);
	if (tags != NULL) {
		/* GLib convention: a floating `tags` is consumed */
		g_autoptr(GVariant) owned = g_variant_ref_sink(tags);
		(void)owned;
		GVariantIter iter;
		const char *key;
		GVariant *value;

		service->tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		GVariant *entry;

		/* a{ss} or a{sv} with string values */
		g_variant_iter_init(&iter, tags);
		while ((entry = g_variant_iter_next_value(&iter)) != NULL) {
			g_autoptr(GVariant) k = g_variant_get_child_value(entry, 0);
			g_autoptr(GVariant) v = g_variant_get_child_value(entry, 1);

			if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
				value = g_variant_get_variant(v);
				g_variant_unref(v);
				v = value;
			}
			key = g_variant_get_string(k, NULL);
			if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
				g_hash_table_insert(service->tags, g_strdup(key),
						    g_variant_dup_string(v, NULL));
			g_variant_unref(entry);
		}
	}
	/* wire.md 7.7: the own node stores its ads too, stamped when opened */
	local = rc_mesh_service_make_ad(service, FALSE);
	local->time = service->opened;
	rc_service_ad_table_put(nc, local);
	rc_tick_request(&nc->tick_ads, RC_NETCEPTOR_SERVICE_AD_DELAY_US);
}

void
rc_mesh_service_unadvertise(RcMeshService *service)
{
	if (!service->advertised)
		return;
	service->advertised = FALSE;
	rc_mesh_service_flood_cancel(service);
}

void
rc_mesh_service_unbind(RcMeshService *service)
{
	if (service == NULL)
		return;
	rc_mesh_service_unadvertise(service);
	g_hash_table_remove(service->nc->services, service->name);
	g_clear_pointer(&service->tags, g_hash_table_unref);
	g_free(service->name);
	g_free(service);
}

void
rc_netceptor_set_work_commands(RcNetceptor *nc, GPtrArray *commands)
{
	g_ptr_array_set_size(nc->work_commands, 0);
	if (commands == NULL)
		return;
	for (guint i = 0; i < commands->len; i++) {
		RcWorkCommand *src = g_ptr_array_index(commands, i);
		RcWorkCommand *wc = g_new0(RcWorkCommand, 1);

		wc->work_type = g_strdup(src->work_type);
		wc->secure = src->secure;
		g_ptr_array_add(nc->work_commands, wc);
	}
}

/* ------------------------------------------------------------------ ping (7.6) */

typedef struct {
	char *from;
	gint64 rtt_us;
	char *error; /* nullable */
} RcPingOutcome;

static void
rc_ping_outcome_free(RcPingOutcome *o)
{
	g_free(o->from);
	g_free(o->error);
	g_free(o);
}

typedef struct {
	RcNetceptor *nc;
	GTask *task;
	RcMeshService *svc;
	gint64 start_us;
	guint timeout_source;
	GSource *cancel_source;
} RcPing;

static void
rc_ping_complete(RcPing *ping, const char *from, const char *error_text)
{
	RcPingOutcome *o = g_new0(RcPingOutcome, 1);
	RcNetceptor *nc = ping->nc;
	GTask *task = ping->task;

	o->from = g_strdup(from != NULL ? from : "");
	o->rtt_us = g_get_monotonic_time() - ping->start_us;
	o->error = g_strdup(error_text);
	nc->pings = g_list_remove(nc->pings, ping);
	g_clear_handle_id(&ping->timeout_source, g_source_remove);
	if (ping->cancel_source != NULL) {
		g_source_destroy(ping->cancel_source);
		g_clear_pointer(&ping->cancel_source, g_source_unref);
	}
	g_clear_pointer(&ping->svc, rc_mesh_service_unbind);
	g_free(ping);
	g_task_return_pointer(task, o, (GDestroyNotify)rc_ping_outcome_free);
	g_object_unref(task);
}

static void
rc_ping_recv(RcMeshService *svc, const char *from_node, const char *from_service,
	     GBytes *payload, gpointer user_data)
{
	RcPing *ping = user_data;
	g_autofree char *from = NULL;

	/* wire.md 7.6: "node:service" with a trailing ":ping" removed */
	if (g_strcmp0(from_service, "ping") == 0)
		from = g_strdup(from_node);
	else
		from = g_strdup_printf("%s:%s", from_node, from_service);
	rc_ping_complete(ping, from, NULL);
}

static void
rc_ping_unreachable(RcMeshService *svc, const char *reporter, const char *to_node,
		    const char *to_service, const char *problem, gpointer user_data)
{
	rc_ping_complete(user_data, reporter, problem);
}

static gboolean
rc_ping_timeout_cb(gpointer user_data)
{
	RcPing *ping = user_data;

	ping->timeout_source = 0;
	rc_ping_complete(ping, NULL, "timeout");
	return G_SOURCE_REMOVE;
}

static gboolean
rc_ping_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	rc_ping_complete(user_data, NULL, "user cancelled");
	return G_SOURCE_REMOVE;
}

void
rc_netceptor_ping_async(RcNetceptor *nc, const char *target, guint8 hops,
			GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	RcPing *ping;

	g_return_if_fail(nc != NULL && target != NULL);
	ping = g_new0(RcPing, 1);
	ping->nc = nc;
	/* RcNetceptor is not a GObject: the task has no source object */
	ping->task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(ping->task, rc_netceptor_ping_async);
	ping->start_us = g_get_monotonic_time();
	nc->pings = g_list_prepend(nc->pings, ping);
	if (nc->shut_down) {
		rc_ping_complete(ping, nc->node_id, "netceptor shutdown");
		return;
	}
	ping->svc = rc_netceptor_bind(nc, NULL, rc_ping_recv, ping, &error);
	if (ping->svc == NULL) {
		rc_ping_complete(ping, nc->node_id, error->message);
		return;
	}
	rc_mesh_service_set_hops_to_live(ping->svc, hops);
	rc_mesh_service_set_unreachable_func(ping->svc, rc_ping_unreachable, ping);
	if (!rc_mesh_service_send(ping->svc, target, "ping", empty, &error)) {
		rc_ping_complete(ping, nc->node_id, error->message);
		return;
	}
	ping->timeout_source = g_timeout_add(RC_NETCEPTOR_PING_TIMEOUT_US / 1000,
					     rc_ping_timeout_cb, ping);
	if (cancellable != NULL) {
		ping->cancel_source = g_cancellable_source_new(cancellable);
		g_source_set_callback(ping->cancel_source, G_SOURCE_FUNC(rc_ping_cancelled_cb), ping,
				      NULL);
		g_source_attach(ping->cancel_source, NULL);
	}
}

gboolean
rc_netceptor_ping_finish(RcNetceptor *nc, GAsyncResult *result, char **from, gint64 *rtt_us,
			 GError **error)
{
	RcPingOutcome *o;

	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	o = g_task_propagate_pointer(G_TASK(result), NULL);
	if (from != NULL)
		*from = g_strdup(o->from);
	if (rtt_us != NULL)
		*rtt_us = o->rtt_us;
	if (o->error != NULL) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, o->error);
		rc_ping_outcome_free(o);
		return FALSE;
	}
	rc_ping_outcome_free(o);
	return TRUE;
}

/* ------------------------------------------------------------------ traceroute */

void
rc_trace_hop_free(RcTraceHop *hop)
{
	if (hop == NULL)
		return;
	g_free(hop->from);
	g_free(hop->error);
	g_free(hop);
}

typedef struct {
	RcNetceptor *nc;
	char *target;
	GPtrArray *hops;
} RcTrace;

static void
rc_trace_free(RcTrace *trace)
{
	g_free(trace->target);
	g_clear_pointer(&trace->hops, g_ptr_array_unref);
	g_free(trace);
}

static void rc_trace_next(GTask *task);

static void
rc_trace_ping_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcTrace *trace = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	RcTraceHop *hop = g_new0(RcTraceHop, 1);
	gboolean ok;

	ok = rc_netceptor_ping_finish(trace->nc, result, &hop->from, &hop->rtt_us,
				      &error);
	hop->hop = trace->hops->len;
	g_ptr_array_add(trace->hops, hop);
	if (ok) {
		g_task_return_pointer(task, g_steal_pointer(&trace->hops),
				      (GDestroyNotify)g_ptr_array_unref);
		return;
	}
	if (g_strcmp0(error->message, RC_PROBLEM_EXPIRED) != 0 ||
	    trace->hops->len > RC_WIRE_DEFAULT_HOPS) {
		if (g_strcmp0(error->message, RC_PROBLEM_EXPIRED) != 0)
			hop->error = g_strdup(error->message);
		g_task_return_pointer(task, g_steal_pointer(&trace->hops),
				      (GDestroyNotify)g_ptr_array_unref);
		return;
	}
	rc_trace_next(g_steal_pointer(&task));
}

static void
rc_trace_next(GTask *task)
{
	RcTrace *trace = g_task_get_task_data(task);

	rc_netceptor_ping_async(trace->nc, trace->target, (guint8)trace->hops->len,
				g_task_get_cancellable(task), rc_trace_ping_done, task);
}

void
rc_netceptor_traceroute_async(RcNetceptor *nc, const char *target, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	RcTrace *trace = g_new0(RcTrace, 1);

	trace->nc = nc;
	g_task_set_source_tag(task, rc_netceptor_traceroute_async);
	trace->target = g_strdup(target);
	trace->hops = g_ptr_array_new_with_free_func((GDestroyNotify)rc_trace_hop_free);
	g_task_set_task_data(task, trace, (GDestroyNotify)rc_trace_free);
	rc_trace_next(task);
}

GPtrArray *
rc_netceptor_traceroute_finish(RcNetceptor *nc, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* ------------------------------------------------------------------ status */

void
rc_connection_info_free(RcConnectionInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->node_id);
	g_free(info);
}

static gint
rc_connection_info_cmp(gconstpointer a, gconstpointer b)
{
	const RcConnectionInfo *x = *(RcConnectionInfo *const *)a;
	const RcConnectionInfo *y = *(RcConnectionInfo *const *)b;

	return strcmp(x->node_id, y->node_id);
}

GPtrArray *
rc_netceptor_dup_connections(RcNetceptor *nc)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)rc_connection_info_free);
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, nc->by_node);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		RcConnectionInfo *info = g_new0(RcConnectionInfo, 1);

		info->node_id = g_strdup(key);
		info->cost = rc_link_get_cost(value);
		g_ptr_array_add(out, info);
	}
	g_ptr_array_sort(out, rc_connection_info_cmp);
	return out;
}

GHashTable *
rc_netceptor_get_routing_table(RcNetceptor *nc)
{
	return rc_routing_get_table(nc->routing);
}

GHashTable *
rc_netceptor_get_known_costs(RcNetceptor *nc)
{
	return rc_routing_get_known(nc->routing);
}

static gint
rc_service_ad_cmp(gconstpointer a, gconstpointer b)
{
	const RcServiceAd *x = *(RcServiceAd *const *)a;
	const RcServiceAd *y = *(RcServiceAd *const *)b;
	int c = strcmp(x->node_id, y->node_id);

	return c != 0 ? c : strcmp(x->service, y->service);
}

GPtrArray *
rc_netceptor_dup_advertisements(RcNetceptor *nc)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)rc_service_ad_free);
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, nc->ads);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		GHashTableIter inner;
		gpointer ad;

		g_hash_table_iter_init(&inner, value);
		while (g_hash_table_iter_next(&inner, NULL, &ad)) {
			RcServiceAd *copy = rc_service_ad_copy(ad);

			if (g_strcmp0(copy->node_id, nc->node_id) == 0) {
				/* control.md 3.1: local ads show the current time and the
				 * node's full work-type list */
				rc_wire_time_now(&copy->time);
				if (nc->work_commands->len > 0) {
					g_clear_pointer(&copy->work_commands, g_ptr_array_unref);
					for (guint i = 0; i < nc->work_commands->len; i++) {
						RcWorkCommand *wc =
							g_ptr_array_index(nc->work_commands, i);

						rc_service_ad_add_work_command(copy, wc->work_type,
									       wc->secure);
					}
				}
			}
			g_ptr_array_add(out, copy);
		}
	}
	g_ptr_array_sort(out, rc_service_ad_cmp);
	return out;
}

double
rc_netceptor_path_cost(RcNetceptor *nc, const char *node)
{
	return rc_routing_path_cost(nc->routing, node);
}

gboolean
rc_netceptor_has_route(RcNetceptor *nc, const char *node)
{
	if (g_strcmp0(node, nc->node_id) == 0 || g_ascii_strcasecmp(node, "localhost") == 0)
		return TRUE;
	return rc_routing_next_hop(nc->routing, node) != NULL;
}

guint
rc_netceptor_watch_routes(RcNetceptor *nc, RcRoutesChangedFunc func, gpointer user_data)
{
	RcRouteWatch *w = g_new0(RcRouteWatch, 1);

	w->func = func;
	w->user_data = user_data;
	w->id = ++nc->next_watch;
	nc->watches = g_list_append(nc->watches, w);
	return w->id;
}

void
rc_netceptor_unwatch_routes(RcNetceptor *nc, guint id)
{
	for (GList *l = nc->watches; l != NULL; l = l->next) {
		RcRouteWatch *w = l->data;

		if (w->id == id) {
			nc->watches = g_list_delete_link(nc->watches, l);
			g_free(w);
			return;
		}
	}
}

/* ------------------------------------------------------------------ periodic checks */

static gboolean
rc_netceptor_idle_cb(gpointer user_data)
{
	RcNetceptor *nc = user_data;
	gint64 now = g_get_monotonic_time();
	g_autoptr(GPtrArray) expired = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	/* wire.md 5.6: established links silent for longer than the limit */
	g_hash_table_iter_init(&iter, nc->by_node);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (now - rc_link_get_last_received_us(value) > nc->max_idle_us)
			g_ptr_array_add(expired, value);
	}
	for (guint i = 0; i < expired->len; i++) {
		RcLink *link = g_ptr_array_index(expired, i);
		g_autofree char *limit = rc_go_duration(nc->max_idle_us);

		rc_log_warning("Timing out connection %s, idle for the past %s",
			       rc_link_get_remote_node(link), limit);
		rc_link_end(link, NULL);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
rc_netceptor_seen_cb(gpointer user_data)
{
	RcNetceptor *nc = user_data;

	(void)rc_routing_expire_seen(nc->routing, g_get_monotonic_time());
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ life cycle */

static void
rc_work_command_free(RcWorkCommand *wc)
{
	g_free(wc->work_type);
	g_free(wc);
}

RcCore *
rc_netceptor_get_core(RcNetceptor *nc)
{
	return nc->core;
}

const char *
rc_netceptor_get_node_id(RcNetceptor *nc)
{
	return nc->node_id;
}

guint64
rc_netceptor_get_epoch(RcNetceptor *nc)
{
	return rc_routing_get_own_epoch(nc->routing);
}

RcNetceptor *
rc_netceptor_new(RcCore *core, GError **error)
{
	g_autoptr(RcFirewall) firewall = NULL;
	RcNetceptor *nc;

	g_return_val_if_fail(core != NULL, NULL);
	if (core->node_id == NULL || core->node_id[0] == '\0') {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG, "no node ID");
		return NULL;
	}
	firewall = rc_firewall_new_from_variant(core->firewall_rules, error);
	if (firewall == NULL)
		return NULL;
	nc = g_new0(RcNetceptor, 1);
	nc->core = core;
	nc->node_id = g_strdup(core->node_id);
	nc->routing = rc_routing_new(nc->node_id, rc_routing_make_epoch());
	nc->firewall = g_steal_pointer(&firewall);
	nc->max_idle_us = core->max_idle_us > 0 ? core->max_idle_us
						: RC_NETCEPTOR_DEFAULT_MAX_IDLE_US;
	nc->names = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	nc->links = g_ptr_array_new();
	nc->by_node = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	nc->services = g_hash_table_new(g_str_hash, g_str_equal);
	nc->ads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					(GDestroyNotify)g_hash_table_unref);
	nc->work_commands = g_ptr_array_new_with_free_func((GDestroyNotify)rc_work_command_free);
	g_queue_init(&nc->local);
	rc_netceptor_add_name(nc, nc->node_id);
	rc_tick_init(&nc->tick_update, nc, RC_NETCEPTOR_ROUTE_UPDATE_US,
		     RC_NETCEPTOR_REQUEST_DELAY_US, rc_netceptor_send_routing_update);
	rc_tick_init(&nc->tick_table, nc, RC_NETCEPTOR_ROUTE_TABLE_US,
		     RC_NETCEPTOR_REQUEST_DELAY_US, rc_netceptor_recompute);
	rc_tick_init(&nc->tick_ads, nc, RC_NETCEPTOR_SERVICE_AD_US,
		     RC_NETCEPTOR_SERVICE_AD_DELAY_US, rc_netceptor_send_service_ads);
	nc->idle_source = g_timeout_add(RC_NETCEPTOR_IDLE_CHECK_US / 1000, rc_netceptor_idle_cb, nc);
	nc->seen_source = g_timeout_add_seconds(RC_ROUTING_SEEN_SWEEP_US / G_USEC_PER_SEC,
						rc_netceptor_seen_cb, nc);
	return nc;
}

RcNetceptor *
rc_netceptor_ensure(RcCore *core, GError **error)
{
	if (core->netceptor == NULL) {
		core->netceptor = rc_netceptor_new(core, error);
		if (core->netceptor == NULL)
			return NULL;
		rc_core_add_cleanup(core, (GDestroyNotify)rc_netceptor_free, core->netceptor);
	}
	return core->netceptor;
}

void
rc_netceptor_shutdown(RcNetceptor *nc)
{
	if (nc == NULL || nc->shut_down)
		return;
	nc->shut_down = TRUE;
	g_clear_handle_id(&nc->tick_update.source, g_source_remove);
	g_clear_handle_id(&nc->tick_table.source, g_source_remove);
	g_clear_handle_id(&nc->tick_ads.source, g_source_remove);
	g_clear_handle_id(&nc->idle_source, g_source_remove);
	g_clear_handle_id(&nc->seen_source, g_source_remove);
	while (nc->pings != NULL)
		rc_ping_complete(nc->pings->data, NULL, "netceptor shutdown");
	while (nc->links->len > 0)
		rc_link_end(g_ptr_array_index(nc->links, nc->links->len - 1), NULL);
}

void
rc_netceptor_free(RcNetceptor *nc)
{
	GList *svcs;

	if (nc == NULL)
		return;
	rc_netceptor_shutdown(nc);
	if (nc->core->netceptor == nc)
		nc->core->netceptor = NULL;
	if (nc->local_source != NULL) {
		g_source_destroy(nc->local_source);
		g_clear_pointer(&nc->local_source, g_source_unref);
	}
	g_clear_pointer(&nc->local_paused, g_ptr_array_unref);
	g_queue_clear_full(&nc->local, (GDestroyNotify)rc_local_item_free);
	/* services still bound belong to their owners, who should have unbound
	 * them; free what is left so nothing dangles */
	svcs = g_hash_table_get_values(nc->services);
	for (GList *l = svcs; l != NULL; l = l->next) {
		RcMeshService *svc = l->data;

		svc->advertised = FALSE;
		rc_mesh_service_unbind(svc);
	}
	g_list_free(svcs);
	g_list_free_full(nc->watches, g_free);
	g_hash_table_unref(nc->services);
	g_hash_table_unref(nc->ads);
	g_hash_table_unref(nc->by_node);
	g_ptr_array_unref(nc->links);
	g_hash_table_unref(nc->names);
	g_ptr_array_unref(nc->work_commands);
	rc_firewall_free(nc->firewall);
	rc_routing_free(nc->routing);
	g_free(nc->node_id);
	g_free(nc);
}
