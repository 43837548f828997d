/* test-streams.c: mesh streams between real `receptor` daemons (streams.md),
 * reached through the service-proxy plugin: a tcp-server on the first node
 * dials a tcp-client on the last node, which connects to TCP services run by
 * this test (a digest sink and an echo). */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-test.h"

#define DEADLINE_S 60.0

/* ------------------------------------------------------------ daemons */

typedef struct {
	char *dir;
	GPtrArray *nodes; /* RcTestNode* */
	GHashTable *ports; /* name -> port */
} Mesh;

static Mesh *
mesh_new(void)
{
	Mesh *m = g_new0(Mesh, 1);
	m->dir = rc_test_make_tmpdir("streams");
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
mesh_port(Mesh *m, const char *what)
{
	gpointer p = g_hash_table_lookup(m->ports, what);
	if (p == NULL) {
		p = GUINT_TO_POINTER(rc_test_free_port());
		g_hash_table_insert(m->ports, g_strdup(what), p);
	}
	return (guint16)GPOINTER_TO_UINT(p);
}

/* A node with a tcp-listener (when `listen`), peers (NULL-terminated
 * "name" or "name@cost") and extra YAML. */
static RcTestNode *
mesh_start_full(Mesh *m, const char *name, gboolean listen, const char *listener_extra,
		const char *const *peers, const char *extra)
{
	GString *y = g_string_new("---\n");
	g_string_append_printf(y, "- node:\n    id: %s\n- log-level: debug\n", name);
	if (listen)
		g_string_append_printf(y, "- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n%s",
				       mesh_port(m, name),
				       listener_extra != NULL ? listener_extra : "");
	for (guint i = 0; peers != NULL && peers[i] != NULL; i++) {
		g_auto(GStrv) pc = g_strsplit(peers[i], "@", 2);
		g_string_append_printf(y, "- tcp-peer:\n    address: 127.0.0.1:%u\n",
				       mesh_port(m, pc[0]));
		if (pc[1] != NULL)
			g_string_append_printf(y, "    cost: %s\n", pc[1]);
	}
	if (extra != NULL)
		g_string_append(y, extra);
	g_autofree char *yaml = g_string_free(y, FALSE);
	RcTestNode *node = rc_test_node_start(m->dir, name, yaml);
	g_ptr_array_add(m->nodes, node);
	return node;
}

static RcTestNode *
mesh_start(Mesh *m, const char *name, gboolean listen, const char *const *peers,
	   const char *extra)
{
	return mesh_start_full(m, name, listen, NULL, peers, extra);
}

/* ------------------------------------------------------------ in-test TCP services */

/* Sink: reads everything, answers the SHA-256 hex digest and the byte count. */
typedef struct {
	GSocketConnection *conn;
	GChecksum *sum;
	guint64 count;
	guint8 buf[65536];
	char *reply;
} SinkConn;

static void
sink_conn_free(SinkConn *s)
{
	g_object_unref(s->conn);
	g_checksum_free(s->sum);
	g_free(s->reply);
	g_free(s);
}

static void
sink_written(GObject *source, GAsyncResult *res, gpointer data)
{
	SinkConn *s = data;
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, NULL);
	g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
	sink_conn_free(s);
}

static void sink_read(SinkConn *s);

static void
sink_readed(GObject *source, GAsyncResult *res, gpointer data)
{
	SinkConn *s = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL);
	if (n > 0) {
		g_checksum_update(s->sum, s->buf, (gsize)n);
		s->count += (guint64)n;
		sink_read(s);
		return;
	}
	s->reply = g_strdup_printf("%s %" G_GUINT64_FORMAT "\n", g_checksum_get_string(s->sum),
				   s->count);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(s->conn)),
					s->reply, strlen(s->reply), G_PRIORITY_DEFAULT, NULL,
					sink_written, s);
}

static void
sink_read(SinkConn *s)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(s->conn)), s->buf,
				  sizeof s->buf, G_PRIORITY_DEFAULT, NULL, sink_readed, s);
}

static gboolean
sink_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer data)
{
	SinkConn *s = g_new0(SinkConn, 1);
	s->conn = g_object_ref(conn);
	s->sum = g_checksum_new(G_CHECKSUM_SHA256);
	sink_read(s);
	return TRUE;
}

/* Echo: splice the connection onto itself. */
static void
echo_done(GObject *source, GAsyncResult *res, gpointer data)
{
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, NULL);
	g_object_unref(data);
}

static gboolean
echo_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer data)
{
	GIOStream *io = G_IO_STREAM(g_object_ref(conn));
	g_output_stream_splice_async(g_io_stream_get_output_stream(io),
				     g_io_stream_get_input_stream(io),
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
				     echo_done, io);
	return TRUE;
}

static GSocketService *
service_start(guint16 port, GCallback incoming)
{
	g_autoptr(GError) error = NULL;
	GSocketService *svc = g_socket_service_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);
	g_socket_listener_add_address(G_SOCKET_LISTENER(svc), sa, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(svc, "incoming", incoming, NULL);
	g_socket_service_start(svc);
	return svc;
}

static void
service_stop(GSocketService *svc)
{
	g_socket_service_stop(svc);
	g_socket_listener_close(G_SOCKET_LISTENER(svc));
	g_object_unref(svc);
}

/* ------------------------------------------------------------ client side */

/* Send `payload` to 127.0.0.1:port, half-close, read the whole answer. */
typedef struct {
	GSocketConnection *conn;
	GBytes *payload;
	GByteArray *answer;
	guint8 buf[65536];
	gboolean sent;
	gboolean done;
	GError *error;
} Exchange;

static void exchange_read(Exchange *x);

static void
exchange_readed(GObject *source, GAsyncResult *res, gpointer data)
{
	Exchange *x = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &x->error);
	if (n <= 0) {
		x->done = TRUE;
		return;
	}
	g_byte_array_append(x->answer, x->buf, (guint)n);
	exchange_read(x);
}

static void
exchange_read(Exchange *x)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(x->conn)), x->buf,
				  sizeof x->buf, G_PRIORITY_DEFAULT, NULL, exchange_readed, x);
}

static void
exchange_written(GObject *source, GAsyncResult *res, gpointer data)
{
	Exchange *x = data;
	if (g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, NULL))
		g_socket_shutdown(g_socket_connection_get_socket(x->conn), FALSE, TRUE, NULL);
	x->sent = TRUE;
}

static void
exchange_connected(GObject *source, GAsyncResult *res, gpointer data)
{
	Exchange *x = data;
	x->conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &x->error);
	if (x->conn == NULL) {
		x->done = TRUE;
		return;
	}
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(x->payload, &len);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(x->conn)), p,
					len, G_PRIORITY_DEFAULT, NULL, exchange_written, x);
	exchange_read(x);
}

static gboolean
exchange_is_done(gpointer data)
{
	return ((Exchange *)data)->done;
}

static Exchange *
exchange_start(guint16 port, GBytes *payload)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", port);
	Exchange *x = g_new0(Exchange, 1);
	x->payload = g_bytes_ref(payload);
	x->answer = g_byte_array_new();
	g_socket_client_connect_to_host_async(client, addr, 0, NULL, exchange_connected, x);
	return x;
}

static void
exchange_free(Exchange *x)
{
	g_clear_object(&x->conn);
	g_bytes_unref(x->payload);
	g_byte_array_unref(x->answer);
	g_clear_error(&x->error);
	g_free(x);
}

static GBytes *
pattern(gsize len)
{
	guint8 *p = g_malloc(len);
	guint32 v = 2463534242u;
	for (gsize i = 0; i < len; i++) {
		v ^= v << 13;
		v ^= v >> 17;
		v ^= v << 5;
		p[i] = (guint8)v;
	}
	return g_bytes_new_take(p, len);
}

/* One echo round trip of `text` through port; TRUE when echoed exactly. */
static gboolean
echo_once(guint16 port, const char *text, double seconds)
{
	g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
	Exchange *x = exchange_start(port, b);
	gboolean ok = rc_test_wait_until(exchange_is_done, x, "echo round trip", seconds) &&
		      x->answer->len == strlen(text) &&
		      memcmp(x->answer->data, text, strlen(text)) == 0;
	exchange_free(x);
	return ok;
}

static gboolean
first_echoed(gpointer data)
{
	Exchange *x = data;
	return x->done || x->answer->len >= 5;
}

typedef struct {
	guint16 port;
	gint64 next_us;
} EchoProbe;

static gboolean
echo_works(gpointer data)
{
	EchoProbe *p = data;
	/* at most two attempts a second: failing dials are instant */
	if (g_get_monotonic_time() < p->next_us)
		return FALSE;
	p->next_us = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
	/* a dial during route convergence fails and the proxy closes the TCP
	 * connection; retry until a round trip succeeds */
	return echo_once(p->port, "probe", 10);
}

/* ------------------------------------------------------------ tests */

static void
test_line_100_mib(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 sink_port = mesh_port(m, "sink-tcp");
	guint16 entry_port = mesh_port(m, "entry-tcp");
	GSocketService *sink = service_start(sink_port, G_CALLBACK(sink_incoming));
	const char *p2[] = { "n1", NULL }, *p3[] = { "n2", NULL }, *p4[] = { "n3", NULL };
	g_autofree char *n1_extra = g_strdup_printf(
	    "- tcp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n    remotenode: n4\n"
	    "    remoteservice: sink\n",
	    entry_port);
	g_autofree char *n4_extra = g_strdup_printf(
	    "- tcp-client:\n    service: sink\n    address: 127.0.0.1:%u\n", sink_port);

	RcTestNode *n1 = mesh_start(m, "n1", TRUE, NULL, n1_extra);
	mesh_start(m, "n2", TRUE, p2, NULL);
	mesh_start(m, "n3", TRUE, p3, NULL);
	mesh_start(m, "n4", FALSE, p4, n4_extra);
	/* n1 routes to n4 through n2 (its "Routing table dump: dest:next-hop" line) */
	if (!rc_test_node_wait_log(n1, " n4:n2", DEADLINE_S))
		return;

	gsize size = 100 * 1024 * 1024;
	g_autoptr(GBytes) payload = pattern(size);
	g_autofree char *digest = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, payload);
	g_autofree char *expect = g_strdup_printf("%s %" G_GSIZE_FORMAT "\n", digest, size);
	Exchange *x = NULL;
	/* retry while routes converge: the proxy closes the TCP side on a dial error */
	for (guint attempt = 0; attempt < 30; attempt++) {
		x = exchange_start(entry_port, payload);
		g_assert_true(rc_test_wait_until(exchange_is_done, x, "100 MiB through 4 nodes",
						 240));
		if (x->answer->len > 0)
			break;
		exchange_free(x);
		x = NULL;
	}
	g_assert_nonnull(x);
	g_assert_no_error(x->error);
	g_autofree char *answer = g_strndup((const char *)x->answer->data, x->answer->len);
	g_assert_cmpstr(answer, ==, expect);
	exchange_free(x);
	service_stop(sink);
}

static void
test_relay_killed(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 echo_port = mesh_port(m, "echo-tcp");
	guint16 entry_port = mesh_port(m, "entry-tcp");
	GSocketService *echo = service_start(echo_port, G_CALLBACK(echo_incoming));
	/* line n1 - n2 - n3 - n4 (cost 3) preferred over the backup n1 - n5 - n4 (cost 20) */
	const char *p2[] = { "n1", NULL }, *p3[] = { "n2", NULL }, *p4[] = { "n3", "n5@10", NULL };
	const char *p5[] = { "n1@10", NULL };
	g_autofree char *n1_extra = g_strdup_printf(
	    "- tcp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n    remotenode: n4\n"
	    "    remoteservice: echo\n",
	    entry_port);
	g_autofree char *n4_extra = g_strdup_printf(
	    "- tcp-client:\n    service: echo\n    address: 127.0.0.1:%u\n", echo_port);

	/* both ends of a link must agree on its cost (wire.md): listener nodecost */
	mesh_start_full(m, "n1", TRUE, "    nodecost:\n      n5: 10\n", NULL, n1_extra);
	mesh_start(m, "n2", TRUE, p2, NULL);
	RcTestNode *n3 = mesh_start(m, "n3", TRUE, p3, NULL);
	mesh_start_full(m, "n5", TRUE, "    nodecost:\n      n4: 10\n", p5, NULL);
	mesh_start(m, "n4", FALSE, p4, n4_extra);
	EchoProbe probe = { entry_port, 0 };
	if (!rc_test_wait_until(echo_works, &probe, "first echo through the mesh", DEADLINE_S))
		return;

	/* an open stream: keep a connection with one round trip done */
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", entry_port);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) open =
	    g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);

	/* one round trip on it before the relay dies */
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(open)), "first", 5,
				  NULL, NULL, &error);
	g_assert_no_error(error);
	Exchange *first = g_new0(Exchange, 1);
	first->answer = g_byte_array_new();
	first->payload = g_bytes_new_static("", 0);
	first->conn = g_object_ref(open);
	exchange_read(first);
	g_assert_true(rc_test_wait_until(first_echoed, first, "first echo on the open stream",
					 DEADLINE_S));
	g_assert_cmpmem(first->answer->data, first->answer->len, "first", 5);

	g_autoptr(GBytes) hello = g_bytes_new_static("hello", 5);
	rc_test_node_kill(n3);
	/* the open stream does not hang: it either survives the reroute (the
	 * path changes under QUIC, lost packets are retransmitted) or ends */
	Exchange *x = g_new0(Exchange, 1);
	x->payload = g_bytes_ref(hello);
	x->answer = g_byte_array_new();
	x->conn = g_object_ref(open);
	/* the read started for "first" goes on into first->answer */
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(open)), "hello",
					5, G_PRIORITY_DEFAULT, NULL, exchange_written, x);
	g_byte_array_unref(x->answer);
	x->answer = g_byte_array_ref(first->answer);
	g_byte_array_set_size(x->answer, 0);
	x->done = FALSE;
	g_assert_true(rc_test_wait_until(exchange_is_done, first, "open stream answered or ended",
					 DEADLINE_S));
	x->error = g_steal_pointer(&first->error);
	g_test_message("open stream after the relay died: %u bytes back, %s", x->answer->len,
		       x->error != NULL ? x->error->message : "clean end");
	g_assert_true(x->answer->len == 0 || (x->answer->len == 5 &&
					      memcmp(x->answer->data, "hello", 5) == 0));
	exchange_free(x);
	exchange_free(first);
	/* new streams work again once the routes go through n5 */
	if (!rc_test_wait_until(echo_works, &probe, "echo after rerouting", DEADLINE_S))
		return; /* the logs are printed by mesh_free */
	g_io_stream_close(G_IO_STREAM(open), NULL, NULL);
	service_stop(echo);
}

/* With no other path, killing the relay fails an open stream: the proxy's
 * TCP connection ends and the entry node logs why. */
static void
test_relay_killed_no_backup(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 echo_port = mesh_port(m, "echo-tcp");
	guint16 entry_port = mesh_port(m, "entry-tcp");
	GSocketService *echo = service_start(echo_port, G_CALLBACK(echo_incoming));
	const char *p2[] = {"n1", NULL}, *p3[] = {"n2", NULL};
	g_autofree char *n1_extra = g_strdup_printf(
	    "- tcp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n    remotenode: n3\n"
	    "    remoteservice: echo\n",
	    entry_port);
	g_autofree char *n3_extra = g_strdup_printf(
	    "- tcp-client:\n    service: echo\n    address: 127.0.0.1:%u\n", echo_port);
	RcTestNode *n1 = mesh_start(m, "n1", TRUE, NULL, n1_extra);
	RcTestNode *n2 = mesh_start(m, "n2", TRUE, p2, NULL);
	mesh_start(m, "n3", FALSE, p3, n3_extra);
	EchoProbe probe = {entry_port, 0};
	if (!rc_test_wait_until(echo_works, &probe, "first echo through the mesh", DEADLINE_S))
		return;

	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", entry_port);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) open =
	    g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(open)), "first", 5,
				  NULL, NULL, &error);
	g_assert_no_error(error);
	Exchange *first = g_new0(Exchange, 1);
	first->answer = g_byte_array_new();
	first->payload = g_bytes_new_static("", 0);
	first->conn = g_object_ref(open);
	exchange_read(first);
	g_assert_true(rc_test_wait_until(first_echoed, first, "first echo on the open stream",
					 DEADLINE_S));

	rc_test_node_kill(n2);
	g_byte_array_set_size(first->answer, 0);
	first->done = FALSE;
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(open)), "hello", 5,
				  NULL, NULL, NULL);
	/* the stream cannot survive: the open connection ends, nothing echoed */
	g_assert_true(rc_test_wait_until(exchange_is_done, first, "open stream to end",
					 DEADLINE_S));
	g_assert_cmpuint(first->answer->len, ==, 0);
	g_assert_true(rc_test_node_log_contains(n1, "timeout: no recent network activity") ||
		      rc_test_node_log_contains(n1, "no route to node"));
	exchange_free(first);
	g_io_stream_close(G_IO_STREAM(open), NULL, NULL);
	service_stop(echo);
}

/* ------------------------------------------------------------ receptorctl through the mesh */

typedef struct {
	GString *out;
	gboolean eof;
	GInputStream *in;
	char buf[4096];
} CtlOut;

static void
ctl_out_read(GObject *src, GAsyncResult *res, gpointer data)
{
	CtlOut *o = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);
	if (n <= 0) {
		o->eof = TRUE;
		return;
	}
	g_string_append_len(o->out, o->buf, n);
	g_input_stream_read_async(o->in, o->buf, sizeof o->buf, G_PRIORITY_DEFAULT, NULL,
				  ctl_out_read, o);
}

static gboolean
ctl_has_status(gpointer data)
{
	CtlOut *o = data;
	return strstr(o->out->str, "\"NodeID\":\"n4\"") != NULL || o->eof;
}

static gboolean
ctl_eof(gpointer data)
{
	return ((CtlOut *)data)->eof;
}

/* ctl/receptorctl on n1 reaches the control service of n4, three hops away,
 * with `connect` (a control session bridged to a mesh stream, QUIC). */
static void
test_receptorctl_reaches_last_node(void)
{
	g_autoptr(Mesh) m = mesh_new();
	const char *p2[] = {"n1", NULL}, *p3[] = {"n2", NULL}, *p4[] = {"n3", NULL};
	g_autofree char *sock = g_build_filename(m->dir, "n1.sock", NULL);
	g_autofree char *n1_extra =
	    g_strdup_printf("- control-service:\n    service: control\n    filename: %s\n", sock);
	RcTestNode *n1 = mesh_start(m, "n1", TRUE, NULL, n1_extra);
	mesh_start(m, "n2", TRUE, p2, NULL);
	mesh_start(m, "n3", TRUE, p3, NULL);
	mesh_start(m, "n4", FALSE, p4, "- control-service:\n    service: control\n");
	g_assert_true(rc_test_node_wait_log(n1, " n4:n2", DEADLINE_S));

	g_autofree char *ctl = rc_test_build_path("ctl/receptorctl");
	const char *argv[] = {ctl, "--socket", sock, "connect", "n4", "control", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = g_subprocess_newv(
	    argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
	g_assert_no_error(error);
	CtlOut o = {.out = g_string_new(NULL), .in = g_subprocess_get_stdout_pipe(proc)};
	g_input_stream_read_async(o.in, o.buf, sizeof o.buf, G_PRIORITY_DEFAULT, NULL,
				  ctl_out_read, &o);
	GOutputStream *in = g_subprocess_get_stdin_pipe(proc);
	g_output_stream_write_all(in, "status\n", 7, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(rc_test_wait_until(ctl_has_status, &o, "n4's status through n1", DEADLINE_S));
	/* the greeting of n4's control service came first, through the bridge */
	g_assert_nonnull(strstr(o.out->str, "Receptor Control, node n4"));
	g_assert_nonnull(strstr(o.out->str, "\"NodeID\":\"n4\""));
	g_output_stream_close(in, NULL, NULL);
	g_assert_true(rc_test_wait_until(ctl_eof, &o, "receptorctl to end", DEADLINE_S));
	g_subprocess_wait(proc, NULL, NULL);
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	g_string_free(o.out, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/streams/100-mib-byte-exact-through-a-4-node-line", test_line_100_mib);
	g_test_add_func("/streams/new-streams-work-after-a-relay-dies", test_relay_killed);
	g_test_add_func("/streams/killing-the-only-relay-fails-the-open-stream",
			test_relay_killed_no_backup);
	g_test_add_func("/streams/receptorctl-reaches-the-last-nodes-control-through-the-first",
			test_receptorctl_reaches_last_node);
	return g_test_run();
}
