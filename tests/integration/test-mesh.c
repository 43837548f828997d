/* test-mesh.c: real `receptor` daemons joined by tcp-listener/tcp-peer links
 * (wire.md 5-9).  Routes are observed through each node's control socket
 * (`status`, control.md 3.1); pings through `ping` (control.md 3.2). */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "rc-test.h"

/* Convergence of a handful of nodes takes well under a second; the deadlines
 * leave room for slow machines and the sanitizer setup. */
#define MESH_DEADLINE_S 30.0

typedef struct {
	char *dir;
	GPtrArray *nodes; /* RcTestNode* */
	GHashTable *ports; /* node name -> GUINT_TO_POINTER(port) */
	gboolean control;  /* give every node a control socket */
} Mesh;

static Mesh *
mesh_new(void)
{
	Mesh *m = g_new0(Mesh, 1);

	m->dir = rc_test_make_tmpdir("mesh");
	m->nodes = g_ptr_array_new();
	m->ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return m;
}

static void
mesh_free(Mesh *m)
{
	for (guint i = 0; i < m->nodes->len; i++) {
		RcTestNode *node = g_ptr_array_index(m->nodes, i);

		if (node == NULL)
			continue;
		if (g_test_failed())
			rc_test_node_dump_log(node);
		rc_test_node_free(node);
	}
	g_ptr_array_unref(m->nodes);
	g_hash_table_unref(m->ports);
	rc_test_rmtree(m->dir);
	g_free(m->dir);
	g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Mesh, mesh_free)

static guint16
mesh_port(Mesh *m, const char *name)
{
	gpointer p = g_hash_table_lookup(m->ports, name);

	if (p == NULL) {
		p = GUINT_TO_POINTER(rc_test_free_port());
		g_hash_table_insert(m->ports, g_strdup(name), p);
	}
	return (guint16)GPOINTER_TO_UINT(p);
}

static char *
mesh_socket(Mesh *m, const char *name)
{
	return g_strdup_printf("%s/%s.sock", m->dir, name);
}

/* Start `name` with a listener (when `listen`), extra YAML lines `extra`
 * (already indented list items) and a control socket. */
static RcTestNode *
mesh_start(Mesh *m, const char *name, gboolean listen, const char *listener_extra,
	   const char *extra)
{
	g_autofree char *sock = mesh_socket(m, name);
	g_autofree char *listener = NULL;
	g_autofree char *yaml = NULL;
	RcTestNode *node;

	if (listen)
		listener = g_strdup_printf("- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n%s",
					   mesh_port(m, name),
					   listener_extra != NULL ? listener_extra : "");
	g_autofree char *control =
		m->control ? g_strdup_printf("- control-service:\n    service: \"\"\n"
					     "    filename: %s\n", sock)
			   : g_strdup("");

	yaml = g_strdup_printf("---\n- node:\n    id: %s\n- log-level: debug\n%s%s%s", name,
			       control, listener != NULL ? listener : "",
			       extra != NULL ? extra : "");
	node = rc_test_node_start(m->dir, name, yaml);
	g_ptr_array_add(m->nodes, node);
	/* A peer started before this listener is bound would be refused and
	 * redial only after 5 s (wire.md 9.2): wait for the listener. */
	if (listen)
		(void)rc_test_node_wait_log(node, "Initialization complete", MESH_DEADLINE_S);
	return node;
}

static char *
mesh_peer(Mesh *m, const char *to, const char *params)
{
	return g_strdup_printf("- tcp-peer:\n    address: 127.0.0.1:%u\n%s", mesh_port(m, to),
			       params != NULL ? params : "");
}

/* One control command; the reply line parsed as JSON (NULL when no reply). */
static JsonNode *
mesh_command(Mesh *m, const char *name, const char *command)
{
	g_autofree char *sock = mesh_socket(m, name);
	g_autofree char *request = g_strdup_printf("%s\n", command);
	g_autoptr(GError) error = NULL;
	g_autofree char *reply = rc_test_unix_exchange(sock, request, "}\n", 5.0, &error);
	const char *json;
	g_autoptr(JsonParser) parser = json_parser_new();

	if (reply == NULL)
		return NULL;
	/* skip the greeting line "Receptor Control, node <id>" */
	json = strchr(reply, '\n');
	if (json == NULL || !json_parser_load_from_data(parser, json + 1, -1, NULL))
		return NULL;
	return json_node_copy(json_parser_get_root(parser));
}

static RcTestNode *
mesh_node(Mesh *m, const char *name)
{
	for (guint i = 0; i < m->nodes->len; i++) {
		RcTestNode *node = g_ptr_array_index(m->nodes, i);

		if (g_strcmp0(rc_test_node_name(node), name) == 0)
			return node;
	}
	g_assert_not_reached();
	return NULL;
}

/* Next hop of `dest` in `name`'s current routing table (transfer full)
 * (nullable).  Read from the newest complete "Routing table dump:" debug line
 * the node logs after every recomputation (the control service's `status`
 * shows the same table). */
static char *
mesh_route(Mesh *m, const char *name, const char *dest)
{
	g_autofree char *log = rc_test_node_log(mesh_node(m, name));
	const char *tag = "Routing table dump:";
	const char *line = NULL;
	const char *end;
	g_autofree char *text = NULL;
	g_auto(GStrv) items = NULL;

	for (const char *p = strstr(log, tag); p != NULL; p = strstr(p + 1, tag)) {
		if (strchr(p, '\n') != NULL)
			line = p;
	}
	if (line == NULL)
		return NULL;
	end = strchr(line, '\n');
	text = g_strndup(line + strlen(tag), (gsize)(end - line) - strlen(tag));
	items = g_strsplit(g_strstrip(text), " ", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		char *colon = strrchr(items[i], ':');

		if (colon != NULL && (gsize)(colon - items[i]) == strlen(dest) &&
		    strncmp(items[i], dest, strlen(dest)) == 0)
			return g_strdup(colon + 1);
	}
	return NULL;
}

static gboolean
mesh_has_connection(Mesh *m, const char *name, const char *peer)
{
	g_autofree char *hop = mesh_route(m, name, peer);

	return g_strcmp0(hop, peer) == 0;
}

static gboolean
check_started_or_exited(gpointer data)
{
	int status = 0;

	return rc_test_node_exited(data, &status) ||
	       rc_test_node_log_contains(data, "Connection established");
}

/* Wait until `name` has a connection; fail the test (with its log) when it
 * exited instead, e.g. because control-service was refused. */
static gboolean
mesh_wait_up(Mesh *m, const char *name)
{
	RcTestNode *node = mesh_node(m, name);
	int status = 0;

	if (!rc_test_wait_until(check_started_or_exited, node, "node up or exited",
				MESH_DEADLINE_S))
		return FALSE;
	if (rc_test_node_exited(node, &status)) {
		rc_test_node_dump_log(node);
		g_test_fail_printf("%s exited with status %d before connecting", name, status);
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	Mesh *m;
	const char *node;
	const char *dest;
	const char *via; /* NULL: any route; "" : no route */
} RouteCheck;

static gboolean
check_route(gpointer data)
{
	RouteCheck *c = data;
	g_autofree char *hop = mesh_route(c->m, c->node, c->dest);

	if (c->via == NULL)
		return hop != NULL;
	if (c->via[0] == '\0')
		return hop == NULL;
	return g_strcmp0(hop, c->via) == 0;
}

static gboolean
wait_route(Mesh *m, const char *node, const char *dest, const char *via)
{
	RouteCheck c = { m, node, dest, via };
	g_autofree char *what = g_strdup_printf("%s: route to %s via %s", node, dest,
						via == NULL ? "any" : via[0] ? via : "(none)");

	return rc_test_wait_until(check_route, &c, what, MESH_DEADLINE_S);
}

typedef struct {
	Mesh *m;
	const char *node;
	const char *peer;
	gboolean want;
} ConnCheck;

static gboolean
check_conn(gpointer data)
{
	ConnCheck *c = data;

	return mesh_has_connection(c->m, c->node, c->peer) == c->want;
}

static gboolean
wait_connection(Mesh *m, const char *node, const char *peer, gboolean want)
{
	ConnCheck c = { m, node, peer, want };
	g_autofree char *what = g_strdup_printf("%s: connection to %s %s", node, peer,
						want ? "up" : "down");

	return rc_test_wait_until(check_conn, &c, what, MESH_DEADLINE_S);
}

/* ------------------------------------------------------------------ tests */

static gboolean wait_command(Mesh *m, const char *node, const char *command,
			     const char *expect);

static void
test_line_five_nodes(void)
{
	g_autoptr(Mesh) m = mesh_new();
	const char *names[] = { "n1", "n2", "n3", "n4", "n5" };

	m->control = TRUE; /* for ping and traceroute */
	/* n1 <- n2 <- n3 <- n4 <- n5: each dials the previous one */
	for (guint i = 0; i < 5; i++) {
		g_autofree char *peer = i > 0 ? mesh_peer(m, names[i - 1], NULL) : NULL;

		mesh_start(m, names[i], i < 4, NULL, peer);
	}
	for (guint i = 0; i < 5; i++) {
		for (guint j = 0; j < 5; j++) {
			const char *via = j > i ? names[i + 1] : (j < i ? names[i - 1] : NULL);

			if (i == j)
				continue;
			if (!wait_route(m, names[i], names[j], via))
				return;
		}
	}
	/* ping and traceroute across the 4 hops, both ways */
	g_assert_true(wait_command(m, "n1", "ping n5", "\"From\":\"n5\""));
	g_assert_true(wait_command(m, "n5", "ping n1", "\"From\":\"n1\""));
	g_assert_true(wait_command(m, "n1", "traceroute n5",
				   "\"3\":{\"From\":\"n4\""));
	g_assert_true(wait_command(m, "n1", "traceroute n5", "\"4\":{\"From\":\"n5\""));
}

/* A diamond: a-b (1), a-c (2), b-d (1), c-d (2).  a reaches d via b. */
static Mesh *
diamond_start(const char *b_listener_extra, const char *db_params)
{
	Mesh *m = mesh_new();
	g_autofree char *b_peer = mesh_peer(m, "a", NULL);
	g_autofree char *c_peer = mesh_peer(m, "a", "    cost: 2\n");
	g_autofree char *d_peers = NULL;
	g_autofree char *db = mesh_peer(m, "b", db_params);
	g_autofree char *dc = mesh_peer(m, "c", "    cost: 2\n");

	mesh_start(m, "a", TRUE, "    nodecost:\n      c: 2\n", NULL);
	mesh_start(m, "b", TRUE, b_listener_extra, b_peer);
	mesh_start(m, "c", TRUE, "    nodecost:\n      d: 2\n", c_peer);
	d_peers = g_strconcat(db, dc, NULL);
	mesh_start(m, "d", FALSE, NULL, d_peers);
	return m;
}

static void
test_diamond_learns_every_route(void)
{
	g_autoptr(Mesh) m = diamond_start(NULL, NULL);

	if (!wait_route(m, "a", "d", "b") || !wait_route(m, "d", "a", "b") ||
	    !wait_route(m, "b", "c", NULL) || !wait_route(m, "c", "b", NULL) ||
	    !wait_route(m, "a", "b", "b") || !wait_route(m, "a", "c", "c"))
		return;
}

static void
test_diamond_kill_middle_reroutes(void)
{
	g_autoptr(Mesh) m = diamond_start(NULL, NULL);
	RcTestNode *b;

	if (!wait_route(m, "a", "d", "b") || !wait_route(m, "d", "a", "b"))
		return;
	b = g_ptr_array_index(m->nodes, 1);
	rc_test_node_kill(b);
	/* the kernel closes b's sockets: the links end at once, well inside the
	 * idle timeout (wire.md 5.6) */
	if (!wait_route(m, "a", "d", "c") || !wait_route(m, "d", "a", "c"))
		return;
	if (!wait_route(m, "a", "b", "") || !wait_route(m, "c", "b", "") ||
	    !wait_route(m, "d", "b", ""))
		return;
	(void)wait_connection(m, "a", "b", FALSE);
}

static void
test_nodecost_changes_path(void)
{
	/* b's listener charges d 10 for the b-d link (and d's peer agrees, as
	 * both ends must, wire.md 6.5), so a->d and d->a go via c (4 < 11). */
	g_autoptr(Mesh) m = diamond_start("    nodecost:\n      d: 10\n", "    cost: 10\n");

	if (!wait_route(m, "a", "d", "c"))
		return;
	(void)wait_route(m, "d", "a", "c");
}

static void
test_cost_changes_path(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *b_peer = mesh_peer(m, "a", "    cost: 5\n");
	g_autofree char *c_peer = mesh_peer(m, "a", NULL);
	g_autofree char *db = mesh_peer(m, "b", NULL);
	g_autofree char *dc = mesh_peer(m, "c", NULL);
	g_autofree char *d_peers = g_strconcat(db, dc, NULL);

	/* a-b costs 5 (both sides must agree: a's listener charges b 5), so even
	 * a's direct neighbour b is reached through c and d (3 < 5) */
	mesh_start(m, "a", TRUE, "    nodecost:\n      b: 5\n", NULL);
	mesh_start(m, "b", TRUE, NULL, b_peer);
	mesh_start(m, "c", TRUE, NULL, c_peer);
	mesh_start(m, "d", FALSE, NULL, d_peers);
	if (!wait_route(m, "a", "d", "c") || !wait_route(m, "a", "b", "c"))
		return;
	(void)wait_route(m, "b", "a", "d");
}

typedef struct {
	Mesh *m;
	const char *node;
	const char *command;
	const char *expect;
	char *last;
} CommandCheck;

static gboolean
check_command(gpointer data)
{
	CommandCheck *c = data;
	g_autoptr(JsonNode) root = mesh_command(c->m, c->node, c->command);

	g_free(c->last);
	c->last = root != NULL ? json_to_string(root, FALSE) : NULL;
	return c->last != NULL && strstr(c->last, c->expect) != NULL;
}

static gboolean
wait_command(Mesh *m, const char *node, const char *command, const char *expect)
{
	CommandCheck c = { m, node, command, expect, NULL };
	g_autofree char *what = g_strdup_printf("%s: '%s' answers %s", node, command, expect);
	gboolean ok = rc_test_wait_until(check_command, &c, what, MESH_DEADLINE_S);

	if (!ok)
		g_test_message("last reply: %s", c.last != NULL ? c.last : "(none)");
	g_free(c.last);
	return ok;
}

static void
test_firewall_rejects_transit(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *p1 = mesh_peer(m, "node2", NULL);
	g_autofree char *p3 = mesh_peer(m, "node2", NULL);

	m->control = TRUE;
	/* wire.md 8.2: Go's functional-test rule set on node2 */
	mesh_start(m, "node1", FALSE, NULL, p1);
	{
		g_autofree char *sock = mesh_socket(m, "node2");
		g_autofree char *yaml = g_strdup_printf(
			"---\n- node:\n    id: node2\n    firewallrules:\n"
			"      - action: accept\n        fromnode: node2\n"
			"      - action: reject\n        tonode: node3\n"
			"      - action: reject\n        tonode: node1\n"
			"- log-level: debug\n"
			"- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n",
			mesh_port(m, "node2"));

		(void)sock;

		RcTestNode *node2 = rc_test_node_start(m->dir, "node2", yaml);

		g_ptr_array_add(m->nodes, node2);
		(void)rc_test_node_wait_log(node2, "Initialization complete", MESH_DEADLINE_S);
	}
	mesh_start(m, "node3", FALSE, NULL, p3);
	if (!mesh_wait_up(m, "node1"))
		return;
	if (!wait_route(m, "node1", "node3", "node2") || !wait_route(m, "node3", "node1", "node2"))
		return;
	if (!wait_command(m, "node1", "ping node2", "\"Success\":true"))
		return;
	if (!wait_command(m, "node1", "ping node3", "blocked by firewall"))
		return;
	g_assert_true(wait_command(m, "node3", "ping node1", "blocked by firewall"));
}

static void
test_allowedpeers_rejects(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *p = mesh_peer(m, "hub", NULL);
	RcTestNode *hub = mesh_start(m, "hub", TRUE, "    allowedpeers:\n      - friend\n", NULL);
	RcTestNode *stranger = mesh_start(m, "stranger", FALSE, NULL, p);

	if (!rc_test_node_wait_log(hub,
				   "Backend error: hub: rejected connection with node stranger "
				   "because it is not in the allowed peers list",
				   MESH_DEADLINE_S))
		return;
	if (!rc_test_node_wait_log(stranger, "Received a rejection message from peer.",
				   MESH_DEADLINE_S))
		return;
	g_assert_false(mesh_has_connection(m, "hub", "stranger"));
}

static void
test_ping_and_traceroute(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *p2 = mesh_peer(m, "t1", NULL);
	g_autofree char *p3 = mesh_peer(m, "t2", NULL);

	m->control = TRUE;
	mesh_start(m, "t1", TRUE, NULL, NULL);
	mesh_start(m, "t2", TRUE, NULL, p2);
	mesh_start(m, "t3", FALSE, NULL, p3);
	if (!mesh_wait_up(m, "t1"))
		return;
	if (!wait_route(m, "t1", "t3", "t2"))
		return;
	if (!wait_command(m, "t1", "ping t3", "\"From\":\"t3\""))
		return;
	if (!wait_command(m, "t1", "traceroute t3", "\"2\":{\"From\":\"t3\""))
		return;
	g_assert_true(wait_command(m, "t1", "ping nowhere", "no route to node"));
}

/* A raw TCP client (no Netceptor) sends bad frames to a listener. */
static void
raw_send(guint16 port, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", port);
	g_autoptr(GSocketConnection) conn = NULL;

	g_socket_client_set_enable_proxy(client, FALSE);
	conn = g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), data, len,
				  NULL, NULL, &error);
	g_assert_no_error(error);
	/* keep the connection open until the node has dropped it: read to EOF */
	{
		guint8 buf[4096];
		gssize n;

		g_socket_set_timeout(g_socket_connection_get_socket(conn),
				     (guint)rc_test_scale(MESH_DEADLINE_S));
		do {
			n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)),
						buf, sizeof buf, NULL, NULL);
		} while (n > 0);
	}
}

static void
test_garbage_dropped_others_live(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *p = mesh_peer(m, "g1", NULL);
	RcTestNode *g1 = mesh_start(m, "g1", TRUE, NULL, NULL);
	guint16 port = mesh_port(m, "g1");
	/* frame: length 5, type 0x07 (unknown), 4 junk bytes */
	const guint8 unknown[] = { 5, 0, 7, 0xde, 0xad, 0xbe, 0xef };
	/* frame: a routing update that is not JSON */
	const guint8 badjson[] = { 4, 0, 1, '{', '{', '{' };
	g_autofree guint8 *big = g_malloc0(2 + 65535);

	mesh_start(m, "g2", FALSE, NULL, p);
	if (!wait_connection(m, "g1", "g2", TRUE))
		return;

	raw_send(port, unknown, sizeof unknown);
	if (!rc_test_node_wait_log(g1, "unknown message type before the link was established, "
				   "dropping link", MESH_DEADLINE_S))
		return;
	raw_send(port, badjson, sizeof badjson);
	if (!rc_test_node_wait_log(g1, "Error unpacking routing update", MESH_DEADLINE_S))
		return;
	/* the largest frame a 16-bit length allows, full of an unknown type */
	big[0] = 0xff;
	big[1] = 0xff;
	memset(big + 2, 0x09, 65535);
	raw_send(port, big, 2 + 65535);
	/* the real link is unaffected */
	g_assert_true(mesh_has_connection(m, "g1", "g2"));
	g_assert_true(mesh_has_connection(m, "g2", "g1"));
}

static void
test_sigkill_node_disappears(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *p2 = mesh_peer(m, "k1", NULL);
	g_autofree char *p3 = mesh_peer(m, "k2", NULL);

	mesh_start(m, "k1", TRUE, NULL, NULL);
	mesh_start(m, "k2", TRUE, NULL, p2);
	mesh_start(m, "k3", FALSE, NULL, p3);
	if (!wait_route(m, "k1", "k3", "k2"))
		return;
	rc_test_node_kill(g_ptr_array_index(m->nodes, 2));
	if (!wait_route(m, "k1", "k3", "") || !wait_route(m, "k2", "k3", ""))
		return;
	(void)wait_connection(m, "k2", "k3", FALSE);
}

int
main(int argc, char **argv)
{
	/* no G_TEST_OPTION_ISOLATE_DIRS: GLib 2.74 leaks the per-test user dirs
	 * (LeakSanitizer in the sanitize setup); every daemon gets its own tmpdir */
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mesh/line/five-nodes-learn-every-route-ping-and-traceroute-4-hops",
			test_line_five_nodes);
	g_test_add_func("/mesh/diamond/every-node-learns-every-route",
			test_diamond_learns_every_route);
	g_test_add_func("/mesh/diamond/killing-the-middle-reroutes",
			test_diamond_kill_middle_reroutes);
	g_test_add_func("/mesh/cost/link-cost-changes-the-path", test_cost_changes_path);
	g_test_add_func("/mesh/cost/nodecost-changes-the-path", test_nodecost_changes_path);
	g_test_add_func("/mesh/sigkill/node-disappears-from-every-table",
			test_sigkill_node_disappears);
	g_test_add_func("/mesh/firewall/reject-blocks-transit-pings", test_firewall_rejects_transit);
	g_test_add_func("/mesh/allowedpeers/unlisted-node-is-rejected", test_allowedpeers_rejects);
	g_test_add_func("/mesh/ping/ping-and-traceroute-across-two-hops", test_ping_and_traceroute);
	g_test_add_func("/mesh/garbage/raw-client-dropped-other-links-live",
			test_garbage_dropped_others_live);
	return g_test_run();
}
