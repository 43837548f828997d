/* test-netceptor.c: several RcNetceptors in one process joined by an
 * in-memory message backend (RcLinkOps): link protocol, routing, datagrams,
 * ping/traceroute, firewall, advertisements (wire.md 5-8).  No sockets. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-core.h"
#include "rc-entity.h"
#include "rc-link.h"
#include "rc-netceptor.h"
#include "rc-test.h"
#include "rc-wire.h"

#define DEADLINE_S 20.0

/* Every log line of the run, so tests can assert the spec's texts. */
static GString *captured_log;

static GLogWriterOutput
capture_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "MESSAGE")) {
			if (fields[i].length < 0)
				g_string_append(captured_log, fields[i].value);
			else
				g_string_append_len(captured_log, fields[i].value, fields[i].length);
			g_string_append_c(captured_log, '\n');
		}
	}
	if (g_test_verbose())
		return g_log_writer_default(level, fields, n_fields, data);
	return G_LOG_WRITER_HANDLED;
}

static gboolean
check_log(gpointer data)
{
	return strstr(captured_log->str, data) != NULL;
}

static gboolean
wait_log(const char *needle)
{
	g_autofree char *what = g_strdup_printf("log line containing '%s'", needle);

	return rc_test_wait_until(check_log, (gpointer)needle, what, DEADLINE_S);
}

static const RcParamDesc mem_params[] = {
	{ "cost", RC_PARAM_FLOAT, 0, "1.0", NULL },
	{ "nodecost", RC_PARAM_FLOAT_MAP, 0, NULL, NULL },
	{ "allowedpeers", RC_PARAM_STRING_LIST, 0, NULL, NULL },
	{ 0 },
};

static const RcEntityDesc mem_desc = {
	.struct_size = sizeof(RcEntityDesc),
	.name = "mem-link",
	.kind = RC_ENTITY_BACKEND,
	.params = mem_params,
};

/* ------------------------------------------------------------------ in-memory backend */

typedef struct _MemEnd MemEnd;
struct _MemEnd {
	RcLink *link;
	MemEnd *other;
	gboolean closed; /* the core called close: link_data is dead for the core */
	GQueue inbox;    /* GBytes* for this end */
	guint idle;
	guint close_idle;
	gboolean ended;
};

static gboolean
mem_deliver_cb(gpointer user_data)
{
	MemEnd *end = user_data;

	end->idle = 0;
	while (!g_queue_is_empty(&end->inbox)) {
		g_autoptr(GBytes) msg = g_queue_pop_head(&end->inbox);

		if (end->closed || end->link == NULL)
			continue;
		rc_link_received(end->link, msg);
	}
	return G_SOURCE_REMOVE;
}

static guint32
mem_send(gpointer link_data, GBytes *message)
{
	MemEnd *end = link_data;
	MemEnd *other = end->other;

	if (other->closed)
		return RC_LINK_SEND_ERROR;
	g_queue_push_tail(&other->inbox, g_bytes_ref(message));
	if (other->idle == 0)
		other->idle = g_idle_add(mem_deliver_cb, other);
	return RC_LINK_SEND_OK;
}

static gboolean
mem_close_other_cb(gpointer user_data)
{
	MemEnd *other = user_data;

	other->close_idle = 0;
	if (!other->closed && other->link != NULL)
		rc_link_closed(other->link, NULL);
	return G_SOURCE_REMOVE;
}

static void
mem_close(gpointer link_data)
{
	MemEnd *end = link_data;

	end->closed = TRUE;
	/* the transport is gone for the other side too */
	if (!end->other->closed && end->other->close_idle == 0)
		end->other->close_idle = g_idle_add(mem_close_other_cb, end->other);
}

static void
mem_ended(gpointer user_data, const GError *reason)
{
	MemEnd *end = user_data;

	end->ended = TRUE;
	end->link = NULL;
}

static const RcLinkOps mem_ops = {
	.struct_size = sizeof(RcLinkOps),
	.send = mem_send,
	.close = mem_close,
};

/* ------------------------------------------------------------------ nodes */

typedef struct {
	RcCore *core;
	GPtrArray *entities; /* RcEntity* */
} TNode;

typedef struct {
	GPtrArray *nodes; /* TNode* */
	GPtrArray *ends;  /* MemEnd* */
} Fixture;

static TNode *
tnode_new(Fixture *f, const char *id, const char *firewall_text)
{
	TNode *n = g_new0(TNode, 1);
	g_autoptr(GError) error = NULL;

	n->core = g_new0(RcCore, 1);
	n->core->node_id = g_strdup(id);
	if (firewall_text != NULL)
		n->core->firewall_rules = g_variant_parse(G_VARIANT_TYPE("aa{sv}"), firewall_text,
							  NULL, NULL, &error);
	g_assert_no_error(error);
	n->core->netceptor = rc_netceptor_new(n->core, &error);
	g_assert_no_error(error);
	n->entities = g_ptr_array_new_with_free_func((GDestroyNotify)rc_entity_free);
	g_ptr_array_add(f->nodes, n);
	return n;
}

static void
tnode_free(TNode *n)
{
	g_clear_pointer(&n->core->netceptor, rc_netceptor_free);
	g_ptr_array_unref(n->entities);
	g_clear_pointer(&n->core->firewall_rules, g_variant_unref);
	g_free(n->core->node_id);
	g_free(n->core);
	g_free(n);
}

static RcNetceptor *
nc(TNode *n)
{
	return n->core->netceptor;
}

static RcEntity *
tnode_entity(TNode *n, const char *params_text)
{
	g_autoptr(GError) error = NULL;
	/* g_variant_parse gives a non-floating reference */
	g_autoptr(GVariant) params = g_variant_parse(
		G_VARIANT_TYPE_VARDICT, params_text ? params_text : "@a{sv} {}", NULL, NULL, &error);
	RcEntity *e;

	g_assert_no_error(error);
	e = rc_entity_new(n->core, &mem_desc, NULL, "test", params);
	g_ptr_array_add(n->entities, e);
	return e;
}

/* Join a and b; `pa`/`pb` are the a{sv} params (GVariant text) of each side. */
static void
tconnect(Fixture *f, TNode *a, const char *pa, TNode *b, const char *pb)
{
	MemEnd *ea = g_new0(MemEnd, 1);
	MemEnd *eb = g_new0(MemEnd, 1);
	g_autoptr(GError) error = NULL;

	ea->other = eb;
	eb->other = ea;
	g_queue_init(&ea->inbox);
	g_queue_init(&eb->inbox);
	g_ptr_array_add(f->ends, ea);
	g_ptr_array_add(f->ends, eb);
	ea->link = rc_link_open(tnode_entity(a, pa), &mem_ops, ea, "mem", mem_ended, ea, &error);
	g_assert_no_error(error);
	eb->link = rc_link_open(tnode_entity(b, pb), &mem_ops, eb, "mem", mem_ended, eb, &error);
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->nodes = g_ptr_array_new();
	f->ends = g_ptr_array_new();
}

static void
mem_end_free(MemEnd *end)
{
	g_clear_handle_id(&end->idle, g_source_remove);
	g_clear_handle_id(&end->close_idle, g_source_remove);
	g_queue_clear_full(&end->inbox, (GDestroyNotify)g_bytes_unref);
	g_free(end);
}

static gboolean
all_ended(gpointer data)
{
	Fixture *f = data;

	for (guint i = 0; i < f->ends->len; i++) {
		MemEnd *end = g_ptr_array_index(f->ends, i);

		if (!end->ended)
			return FALSE;
	}
	return TRUE;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	for (guint i = 0; i < f->nodes->len; i++)
		rc_netceptor_shutdown(nc(g_ptr_array_index(f->nodes, i)));
	(void)rc_test_wait_until(all_ended, f, "every link ended", DEADLINE_S);
	for (guint i = 0; i < f->nodes->len; i++)
		tnode_free(g_ptr_array_index(f->nodes, i));
	g_ptr_array_unref(f->nodes);
	for (guint i = 0; i < f->ends->len; i++)
		mem_end_free(g_ptr_array_index(f->ends, i));
	g_ptr_array_unref(f->ends);
}

/* ------------------------------------------------------------------ checks */

typedef struct {
	TNode *node;
	const char *dest;
	const char *via; /* NULL = no route */
} RouteCheck;

static gboolean
check_route(gpointer data)
{
	RouteCheck *c = data;
	const char *hop = g_hash_table_lookup(rc_netceptor_get_routing_table(nc(c->node)), c->dest);

	return g_strcmp0(hop, c->via) == 0;
}

static gboolean
wait_route(TNode *node, const char *dest, const char *via)
{
	RouteCheck c = { node, dest, via };
	g_autofree char *what = g_strdup_printf("%s: route to %s via %s",
						rc_netceptor_get_node_id(nc(node)), dest,
						via ? via : "(none)");

	return rc_test_wait_until(check_route, &c, what, DEADLINE_S);
}

typedef struct {
	gboolean done;
	gboolean ok;
	char *from;
	gint64 rtt_us;
	char *error;
	GPtrArray *hops;
} Result;

static void
result_clear(Result *r)
{
	g_free(r->from);
	g_free(r->error);
	g_clear_pointer(&r->hops, g_ptr_array_unref);
	memset(r, 0, sizeof *r);
}

static gboolean
check_done(gpointer data)
{
	return ((Result *)data)->done;
}

static void
ping_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Result *r = user_data;
	g_autoptr(GError) error = NULL;

	r->ok = rc_netceptor_ping_finish(NULL, res, &r->from, &r->rtt_us, &error);
	r->error = error != NULL ? g_strdup(error->message) : NULL;
	r->done = TRUE;
}

static void
do_ping(TNode *node, const char *target, guint8 hops, Result *r)
{
	result_clear(r);
	rc_netceptor_ping_async(nc(node), target, hops, NULL, ping_cb, r);
	g_assert_true(rc_test_wait_until(check_done, r, "ping result", DEADLINE_S));
}

static void
trace_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Result *r = user_data;

	r->hops = rc_netceptor_traceroute_finish(NULL, res, NULL);
	r->done = TRUE;
}

/* ------------------------------------------------------------------ tests */

static void
test_line_converges(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);

	tconnect(f, a, NULL, b, NULL);
	tconnect(f, b, NULL, c, NULL);
	g_assert_true(wait_route(a, "c", "b"));
	g_assert_true(wait_route(c, "a", "b"));
	g_assert_true(wait_route(a, "b", "b"));
	g_assert_cmpfloat(rc_netceptor_path_cost(nc(a), "c"), ==, 2.0);
	{
		g_autoptr(GPtrArray) conns = rc_netceptor_dup_connections(nc(b));
		RcConnectionInfo *i0, *i1;

		g_assert_cmpuint(conns->len, ==, 2);
		i0 = g_ptr_array_index(conns, 0);
		i1 = g_ptr_array_index(conns, 1);
		g_assert_cmpstr(i0->node_id, ==, "a");
		g_assert_cmpstr(i1->node_id, ==, "c");
	}
}

static void
test_lower_cost_path_wins(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);
	TNode *d = tnode_new(f, "d", NULL);
	const char *expensive = "{'cost': <5.0>}";

	tconnect(f, a, expensive, b, expensive);
	tconnect(f, a, NULL, c, NULL);
	tconnect(f, b, NULL, d, NULL);
	tconnect(f, c, NULL, d, NULL);
	g_assert_true(wait_route(a, "d", "c"));
	g_assert_true(wait_route(a, "b", "c"));
	g_assert_cmpfloat(rc_netceptor_path_cost(nc(a), "b"), ==, 3.0);
}

static void
test_link_down_reroutes(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);
	TNode *d = tnode_new(f, "d", NULL);
	const char *two = "{'cost': <2.0>}";

	tconnect(f, a, NULL, b, NULL);
	tconnect(f, a, two, c, two);
	tconnect(f, b, NULL, d, NULL);
	tconnect(f, c, two, d, two);
	g_assert_true(wait_route(a, "d", "b"));
	rc_netceptor_shutdown(nc(b));
	g_assert_true(wait_route(a, "d", "c"));
	g_assert_true(wait_route(a, "b", NULL));
	g_assert_true(wait_route(d, "a", "c"));
}

static void
test_ping_and_traceroute(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);
	Result r = { 0 };

	tconnect(f, a, NULL, b, NULL);
	tconnect(f, b, NULL, c, NULL);
	g_assert_true(wait_route(a, "c", "b"));
	g_assert_true(wait_route(c, "a", "b"));
	do_ping(a, "c", 30, &r);
	g_assert_true(r.ok);
	g_assert_cmpstr(r.from, ==, "c");
	do_ping(a, "localhost", 30, &r);
	g_assert_true(r.ok);
	g_assert_cmpstr(r.from, ==, "a");
	/* hops-to-live 1: b forwards with 0 left... c is 2 hops away: expired at b */
	do_ping(a, "c", 1, &r);
	g_assert_false(r.ok);
	g_assert_cmpstr(r.error, ==, "message expired");
	g_assert_cmpstr(r.from, ==, "b");
	do_ping(a, "c", 0, &r);
	g_assert_cmpstr(r.error, ==, "message expired");
	g_assert_cmpstr(r.from, ==, "a");
	do_ping(a, "nowhere", 30, &r);
	g_assert_cmpstr(r.error, ==, "no route to node");
	g_assert_cmpstr(r.from, ==, "a");

	result_clear(&r);
	rc_netceptor_traceroute_async(nc(a), "c", NULL, trace_cb, &r);
	g_assert_true(rc_test_wait_until(check_done, &r, "traceroute", DEADLINE_S));
	g_assert_nonnull(r.hops);
	g_assert_cmpuint(r.hops->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		static const char *const names[] = { "a", "b", "c" };
		RcTraceHop *hop = g_ptr_array_index(r.hops, i);

		g_assert_cmpuint(hop->hop, ==, i);
		g_assert_null(hop->error);
		g_assert_cmpstr(hop->from, ==, names[i]);
	}
	result_clear(&r);
	rc_netceptor_traceroute_async(nc(a), "nowhere", NULL, trace_cb, &r);
	g_assert_true(rc_test_wait_until(check_done, &r, "traceroute", DEADLINE_S));
	g_assert_cmpuint(r.hops->len, ==, 2);
	g_assert_cmpstr(((RcTraceHop *)g_ptr_array_index(r.hops, 1))->error, ==,
			"no route to node");
	result_clear(&r);
}

typedef struct {
	char *from_node;
	char *from_service;
	char *payload;
	guint count;
} Received;

static void
recv_cb(RcMeshService *svc, const char *from_node, const char *from_service, GBytes *payload,
	gpointer user_data)
{
	Received *r = user_data;

	g_free(r->from_node);
	g_free(r->from_service);
	g_free(r->payload);
	r->from_node = g_strdup(from_node);
	r->from_service = g_strdup(from_service);
	r->payload = g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
	r->count++;
}

static gboolean
check_received(gpointer data)
{
	return ((Received *)data)->count > 0;
}

static void
test_datagram_delivery(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);
	Received got = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMeshService) echo = NULL;
	g_autoptr(RcMeshService) src = NULL;
	g_autoptr(GBytes) hello = g_bytes_new_static("hello", 5);

	tconnect(f, a, NULL, b, NULL);
	tconnect(f, b, NULL, c, NULL);
	g_assert_true(wait_route(a, "c", "b"));
	echo = rc_netceptor_bind(nc(c), "echo", recv_cb, &got, &error);
	g_assert_no_error(error);
	src = rc_netceptor_bind(nc(a), "", NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(rc_mesh_service_get_name(src)), ==, 8);
	g_assert_true(rc_mesh_service_send(src, "c", "echo", hello, &error));
	g_assert_no_error(error);
	g_assert_true(rc_test_wait_until(check_received, &got, "datagram at c", DEADLINE_S));
	g_assert_cmpstr(got.from_node, ==, "a");
	g_assert_cmpstr(got.from_service, ==, rc_mesh_service_get_name(src));
	g_assert_cmpstr(got.payload, ==, "hello");

	/* wire.md 7.2: local destination without listener is a local error */
	g_assert_false(rc_mesh_service_send(src, "localhost", "nothing", hello, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message, ==, "service unknown");
	g_clear_error(&error);
	g_assert_false(rc_mesh_service_send(src, "c", "waytoolongname", hello, &error));
	g_assert_cmpstr(error->message, ==, "service name too long");
	g_clear_error(&error);
	/* wire.md 1.2: reserved and duplicate names */
	g_assert_null(rc_netceptor_bind(nc(c), "echo", NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "service echo is already listening");
	g_clear_error(&error);
	g_assert_null(rc_netceptor_bind(nc(c), "ping", NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "service ping is already listening");
	g_clear_error(&error);
	g_assert_null(rc_netceptor_bind(nc(c), "123456789", NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "service name 123456789 too long");
	g_free(got.from_node);
	g_free(got.from_service);
	g_free(got.payload);
}

static void
test_remote_service_unknown(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	Result r = { 0 };

	tconnect(f, a, NULL, b, NULL);
	g_assert_true(wait_route(a, "b", "b"));
	/* an unreachable "service unknown" comes back from b (wire.md 7.4) */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
		Received got = { 0 };
		g_autoptr(RcMeshService) src = rc_netceptor_bind(nc(a), "src", recv_cb, &got, &error);

		g_assert_true(rc_mesh_service_send(src, "b", "nothing", empty, &error));
		g_assert_true(wait_log("Received unreachable message from b (service unreach) to a "
				       "(service unreach): ttl 29, data service unknown"));
	}
	(void)r;
}

static void
test_firewall_reject(Fixture *f, gconstpointer data)
{
	/* wire.md 8.2: Go's functional-test rule set on node2 */
	TNode *n1 = tnode_new(f, "node1", NULL);
	TNode *n2 = tnode_new(f, "node2",
			      "[{'action': <'accept'>, 'fromnode': <'node2'>},"
			      " {'action': <'reject'>, 'tonode': <'node3'>},"
			      " {'action': <'reject'>, 'tonode': <'node1'>}]");
	TNode *n3 = tnode_new(f, "node3", NULL);
	Result r = { 0 };

	tconnect(f, n1, NULL, n2, NULL);
	tconnect(f, n3, NULL, n2, NULL);
	g_assert_true(wait_route(n1, "node3", "node2"));
	g_assert_true(wait_route(n2, "node1", "node1"));
	g_assert_true(wait_route(n3, "node1", "node2"));
	do_ping(n1, "node2", 30, &r);
	g_assert_true(r.ok);
	do_ping(n1, "node3", 30, &r);
	g_assert_false(r.ok);
	g_assert_cmpstr(r.error, ==, "blocked by firewall");
	g_assert_cmpstr(r.from, ==, "node2");
	result_clear(&r);
}

static void
test_cost_disagreement_rejected(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);

	tconnect(f, a, "{'cost': <2.0>}", b, NULL);
	g_assert_true(wait_log("because we disagree about the connection cost"));
	/* both ends notice at the same time, so neither need see the other's reject */
	(void)rc_test_wait_until(all_ended, f, "links ended by rejection", DEADLINE_S);
	g_assert_true(wait_route(a, "b", NULL));
}

static void
test_allowed_peers_and_own_id(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);

	tconnect(f, a, "{'allowedpeers': <['c']>}", b, NULL);
	g_assert_true(wait_log("Backend error: a: rejected connection with node b because it is "
			       "not in the allowed peers list"));
	(void)rc_test_wait_until(all_ended, f, "links ended by rejection", DEADLINE_S);
}

static void
test_own_id_rejected(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *a2 = tnode_new(f, "a", NULL);

	tconnect(f, a, NULL, a2, NULL);
	g_assert_true(wait_log("Backend error: a: rejected connection with node a because it tried "
			       "to connect using our own node ID"));
	(void)rc_test_wait_until(all_ended, f, "links ended by rejection", DEADLINE_S);
}

static gboolean
check_ad(gpointer data)
{
	TNode *n = data;
	g_autoptr(GPtrArray) ads = rc_netceptor_dup_advertisements(nc(n));

	for (guint i = 0; i < ads->len; i++) {
		RcServiceAd *ad = g_ptr_array_index(ads, i);

		if (g_str_equal(ad->node_id, "a") && g_str_equal(ad->service, "control"))
			return TRUE;
	}
	return FALSE;
}

static gboolean
check_no_ad(gpointer data)
{
	return !check_ad(data);
}

static void
test_advertisements_flood_and_cancel(Fixture *f, gconstpointer data)
{
	TNode *a = tnode_new(f, "a", NULL);
	TNode *b = tnode_new(f, "b", NULL);
	TNode *c = tnode_new(f, "c", NULL);
	g_autoptr(GError) error = NULL;
	RcMeshService *svc;

	tconnect(f, a, NULL, b, NULL);
	tconnect(f, b, NULL, c, NULL);
	g_assert_true(wait_route(a, "c", "b"));
	svc = rc_netceptor_bind(nc(a), "control", NULL, NULL, &error);
	g_assert_no_error(error);
	rc_mesh_service_advertise(svc, RC_CONN_TYPE_STREAM,
				  g_variant_new_parsed("{'type': 'Control Service'}"));
	g_assert_true(check_ad(a));
	/* within the 5 s request delay (wire.md 7.7) */
	g_assert_true(rc_test_wait_until(check_ad, c, "ad at c", DEADLINE_S));
	rc_mesh_service_unbind(svc);
	g_assert_true(rc_test_wait_until(check_no_ad, c, "cancel at c", DEADLINE_S));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* runtime errors are logged at WARNING level (rc_log_error): not fatal here */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	captured_log = g_string_new(NULL);
	g_log_set_writer_func(capture_writer, NULL, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/netceptor/routing/line-converges", test_line_converges);
	ADD("/netceptor/routing/lower-cost-path-wins", test_lower_cost_path_wins);
	ADD("/netceptor/routing/link-down-reroutes", test_link_down_reroutes);
	ADD("/netceptor/ping/ping-expiry-and-traceroute", test_ping_and_traceroute);
	ADD("/netceptor/datagram/delivered-across-two-hops", test_datagram_delivery);
	ADD("/netceptor/datagram/unknown-remote-service-sends-unreachable",
	    test_remote_service_unknown);
	ADD("/netceptor/firewall/reject-in-transit-reports-blocked", test_firewall_reject);
	ADD("/netceptor/link/cost-disagreement-is-rejected", test_cost_disagreement_rejected);
	ADD("/netceptor/link/allowed-peers-reject-others", test_allowed_peers_and_own_id);
	ADD("/netceptor/link/own-node-id-is-rejected", test_own_id_rejected);
	ADD("/netceptor/ads/advertisement-floods-and-cancels", test_advertisements_flood_and_cancel);
	return g_test_run();
}
