/* test-backends.c: the UDP and websocket backends between real `receptor`
 * daemons (wire.md 9.5, 9.6): a tcp/udp/ws line that routes, pings and
 * traceroutes end to end, wss with mutual TLS, a ws-peer behind an HTTP
 * proxy that checks the path and the extra header, UDP through a lossy
 * relay, and the refusals (garbage datagrams, oversize messages,
 * non-websocket requests) with their log lines. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-test-certs.h"
#include "rc-test.h"

/* Convergence takes about a second; UDP through the lossy relay can lose
 * initial messages and needs a redial (5 s) now and then. */
#define BK_DEADLINE_S 60.0

typedef struct {
	char *dir;
	GPtrArray *nodes; /* RcTestNode* */
} Mesh;

static Mesh *
mesh_new(void)
{
	Mesh *m = g_new0(Mesh, 1);

	m->dir = rc_test_make_tmpdir("backends");
	m->nodes = g_ptr_array_new();
	return m;
}

static void
mesh_free(Mesh *m)
{
	for (guint i = 0; i < m->nodes->len; i++) {
		RcTestNode *node = g_ptr_array_index(m->nodes, i);

		int code = rc_test_node_stop(node);

		/* SIGTERM ends a node cleanly (exit 0); under the sanitizer setup a
		 * leak or memory error shows up here too */
		if (code != 0 && !g_test_failed())
			g_test_fail_printf("node %s exited with %d", rc_test_node_name(node), code);
		if (g_test_failed())
			rc_test_node_dump_log(node);
		rc_test_node_free(node);
	}
	g_ptr_array_unref(m->nodes);
	rc_test_rmtree(m->dir);
	g_free(m->dir);
	g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Mesh, mesh_free)

/* Start node `name` with a control socket and the YAML list items `items`. */
static RcTestNode *
mesh_start(Mesh *m, const char *name, const char *items)
{
	g_autofree char *yaml = g_strdup_printf("---\n- node:\n    id: %s\n- log-level: debug\n"
						"- control-service:\n    service: \"\"\n"
						"    filename: %s/%s.sock\n%s",
						name, m->dir, name, items);
	RcTestNode *node = rc_test_node_start(m->dir, name, yaml);

	g_ptr_array_add(m->nodes, node);
	return node;
}

/* One control command; the reply without its greeting line (transfer full). */
static char *
mesh_command(Mesh *m, const char *name, const char *command)
{
	g_autofree char *sock = g_strdup_printf("%s/%s.sock", m->dir, name);
	g_autofree char *request = g_strdup_printf("%s\n", command);
	g_autofree char *reply = rc_test_unix_exchange(sock, request, "}\n", 15.0, NULL);
	const char *json;

	if (reply == NULL)
		return NULL;
	json = strchr(reply, '\n');
	return json != NULL ? g_strdup(json + 1) : NULL;
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

	g_free(c->last);
	c->last = mesh_command(c->m, c->node, c->command);
	return c->last != NULL && strstr(c->last, c->expect) != NULL;
}

static gboolean
wait_command(Mesh *m, const char *node, const char *command, const char *expect)
{
	CommandCheck c = { m, node, command, expect, NULL };
	g_autofree char *what = g_strdup_printf("%s: '%s' answers %s", node, command, expect);
	gboolean ok = rc_test_wait_until(check_command, &c, what, BK_DEADLINE_S);

	if (!ok)
		g_test_message("last reply: %s", c.last != NULL ? c.last : "(none)");
	g_free(c.last);
	return ok;
}

/* "RoutingTable":{...,"<dest>":"<via>"...} in `node`'s status */
static gboolean
wait_route(Mesh *m, const char *node, const char *dest, const char *via)
{
	g_autofree char *expect = g_strdup_printf("\"%s\":\"%s\"", dest, via);

	return wait_command(m, node, "status", expect);
}

/* ------------------------------------------------------------ relay thread */

/* The lossy UDP relay and the HTTP proxy run in their own thread with their
 * own main context: the control-socket helper blocks the test's thread while
 * a ping crosses the relay, so the relay must not depend on that thread. */
typedef struct {
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	GMutex lock;
	/* UDP relay */
	GSocket *front;          /* the udp-peer talks to this one */
	GSocket *back;           /* connected to the udp-listener */
	GSocketAddress *client;  /* last udp-peer address seen */
	GRand *rand;
	guint loss_percent;
	guint forwarded;
	guint dropped;
	/* HTTP proxy */
	GSocketService *service;
	guint16 upstream_port;
	gboolean connect_mode;     /* CONNECT proxy (HTTP_PROXY) instead of a reverse proxy */
	char *seen_connect;        /* "CONNECT host:port HTTP/1.1" */
	char *seen_request_line;
	char *seen_extra;
	guint proxied;
} Relay;

static gpointer
relay_thread(gpointer data)
{
	Relay *r = data;

	g_main_context_push_thread_default(r->ctx);
	g_main_loop_run(r->loop);
	g_main_context_pop_thread_default(r->ctx);
	return NULL;
}

static Relay *
relay_new(void)
{
	Relay *r = g_new0(Relay, 1);

	r->ctx = g_main_context_new();
	r->loop = g_main_loop_new(r->ctx, FALSE);
	g_mutex_init(&r->lock);
	r->rand = g_rand_new_with_seed(20241024); /* deterministic loss pattern */
	return r;
}

static void
relay_run(Relay *r)
{
	r->thread = g_thread_new("relay", relay_thread, r);
}

static gboolean
relay_quit_cb(gpointer data)
{
	Relay *r = data;

	if (r->service != NULL)
		g_socket_service_stop(r->service);
	g_main_loop_quit(r->loop);
	return G_SOURCE_REMOVE;
}

static void
relay_free(Relay *r)
{
	if (r->thread != NULL) {
		GSource *s = g_idle_source_new();

		g_source_set_callback(s, relay_quit_cb, r, NULL);
		g_source_attach(s, r->ctx);
		g_source_unref(s);
		g_thread_join(r->thread);
	}
	g_clear_object(&r->service);
	g_clear_object(&r->front);
	g_clear_object(&r->back);
	g_clear_object(&r->client);
	g_rand_free(r->rand);
	g_main_loop_unref(r->loop);
	g_main_context_unref(r->ctx);
	g_mutex_clear(&r->lock);
	g_free(r->seen_request_line);
	g_free(r->seen_connect);
	g_free(r->seen_extra);
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Relay, relay_free)

static gboolean
relay_drop(Relay *r)
{
	gboolean drop = (guint)g_rand_int_range(r->rand, 0, 100) < r->loss_percent;

	g_mutex_lock(&r->lock);
	if (drop)
		r->dropped++;
	else
		r->forwarded++;
	g_mutex_unlock(&r->lock);
	return drop;
}

static gboolean
relay_front_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
	Relay *r = data;
	guint8 buf[65536];
	GSocketAddress *from = NULL;
	gssize n;

	while ((n = g_socket_receive_from(r->front, &from, (char *)buf, sizeof buf, NULL, NULL)) >=
	       0) {
		g_clear_object(&r->client);
		r->client = from;
		from = NULL;
		if (!relay_drop(r))
			(void)g_socket_send(r->back, (const char *)buf, (gsize)n, NULL, NULL);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
relay_back_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
	Relay *r = data;
	guint8 buf[65536];
	gssize n;

	while ((n = g_socket_receive(r->back, (char *)buf, sizeof buf, NULL, NULL)) >= 0) {
		if (r->client != NULL && !relay_drop(r))
			(void)g_socket_send_to(r->front, r->client, (const char *)buf, (gsize)n,
					       NULL, NULL);
	}
	return G_SOURCE_CONTINUE;
}

static void
relay_watch(Relay *r, GSocket *socket, GSocketSourceFunc func)
{
	GSource *source = g_socket_create_source(socket, G_IO_IN, NULL);

	g_source_set_callback(source, G_SOURCE_FUNC(func), r, NULL);
	g_source_attach(source, r->ctx);
	g_source_unref(source);
}

/* A UDP relay on 127.0.0.1 dropping `loss_percent` of the datagrams each
 * way; returns its port. */
static guint16
relay_start_udp(Relay *r, guint16 upstream_port, guint loss_percent)
{
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) up = g_inet_socket_address_new(lo, upstream_port);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	r->loss_percent = loss_percent;
	r->front = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				G_SOCKET_PROTOCOL_UDP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(r->front, any, FALSE, &error));
	r->back = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
			       G_SOCKET_PROTOCOL_UDP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_connect(r->back, up, NULL, &error));
	g_socket_set_blocking(r->front, FALSE);
	g_socket_set_blocking(r->back, FALSE);
	relay_watch(r, r->front, relay_front_cb);
	relay_watch(r, r->back, relay_back_cb);
	bound = g_socket_get_local_address(r->front, &error);
	g_assert_no_error(error);
	relay_run(r);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* One proxied HTTP connection: read the request head, note what we saw,
 * then connect upstream, replay the head and splice both ways. */
typedef struct {
	Relay *r;
	GIOStream *client;
	GIOStream *upstream;
	GByteArray *head;
	gboolean tunnelled;  /* CONNECT answered; the next head is the tunnelled request */
	guint8 buf[4096];
} ProxyConn;

static void
proxy_conn_free(ProxyConn *pc)
{
	g_clear_object(&pc->client);
	g_clear_object(&pc->upstream);
	g_byte_array_unref(pc->head);
	g_free(pc);
}

static void
proxy_spliced(GObject *source, GAsyncResult *result, gpointer data)
{
	(void)g_io_stream_splice_finish(result, NULL);
	proxy_conn_free(data);
}

static void
proxy_head_written(GObject *source, GAsyncResult *result, gpointer data)
{
	ProxyConn *pc = data;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL)) {
		proxy_conn_free(pc);
		return;
	}
	g_io_stream_splice_async(pc->client, pc->upstream,
				 G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
				 G_PRIORITY_DEFAULT, NULL, proxy_spliced, pc);
}

static void
proxy_connected(GObject *source, GAsyncResult *result, gpointer data)
{
	ProxyConn *pc = data;
	GSocketConnection *conn =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, NULL);

	g_object_unref(source);
	if (conn == NULL) {
		proxy_conn_free(pc);
		return;
	}
	pc->upstream = G_IO_STREAM(conn);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(pc->upstream),
					pc->head->data, pc->head->len, G_PRIORITY_DEFAULT, NULL,
					proxy_head_written, pc);
}

static void proxy_read_more(ProxyConn *pc);

static void
proxy_note_head(ProxyConn *pc)
{
	g_autofree char *text = g_strndup((const char *)pc->head->data, pc->head->len);
	g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
	Relay *r = pc->r;

	g_mutex_lock(&r->lock);
	r->proxied++;
	g_free(r->seen_request_line);
	r->seen_request_line = g_strdup(lines[0]);
	for (guint i = 1; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], "X-Extra-Data: ")) {
			g_free(r->seen_extra);
			r->seen_extra = g_strdup(lines[i] + strlen("X-Extra-Data: "));
		}
	}
	g_mutex_unlock(&r->lock);
}

static void
proxy_read_done(GObject *source, GAsyncResult *result, gpointer data)
{
	ProxyConn *pc = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);
	GSocketClient *client;
	g_autofree char *upstream = NULL;

	if (n <= 0) {
		proxy_conn_free(pc);
		return;
	}
	g_byte_array_append(pc->head, pc->buf, (guint)n);
	if (g_strstr_len((const char *)pc->head->data, pc->head->len, "\r\n\r\n") == NULL) {
		proxy_read_more(pc);
		return;
	}
	if (pc->r->connect_mode && !pc->tunnelled) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

		g_mutex_lock(&pc->r->lock);
		g_free(pc->r->seen_connect);
		pc->r->seen_connect = g_strndup(
			(const char *)pc->head->data,
			(gsize)(g_strstr_len((const char *)pc->head->data, pc->head->len, "\r\n") -
				(const char *)pc->head->data));
		g_mutex_unlock(&pc->r->lock);
		/* the client speaks only after our answer: nothing else is buffered */
		g_byte_array_set_size(pc->head, 0);
		pc->tunnelled = TRUE;
		(void)g_output_stream_write_all(g_io_stream_get_output_stream(pc->client), ok,
						strlen(ok), NULL, NULL, NULL);
		proxy_read_more(pc);
		return;
	}
	proxy_note_head(pc);
	client = g_socket_client_new();
	/* no GProxyResolver lookup (it reads GSettings, absent in isolated dirs) */
	g_socket_client_set_enable_proxy(client, FALSE);
	upstream = g_strdup_printf("127.0.0.1:%u", pc->r->upstream_port);
	g_socket_client_connect_to_host_async(client, upstream, 0, NULL, proxy_connected, pc);
}

static void
proxy_read_more(ProxyConn *pc)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(pc->client), pc->buf,
				  sizeof pc->buf, G_PRIORITY_DEFAULT, NULL, proxy_read_done, pc);
}

static gboolean
proxy_incoming(GSocketService *service, GSocketConnection *connection, GObject *source,
	       gpointer data)
{
	ProxyConn *pc = g_new0(ProxyConn, 1);

	pc->r = data;
	pc->client = G_IO_STREAM(g_object_ref(connection));
	pc->head = g_byte_array_new();
	proxy_read_more(pc);
	return TRUE;
}

/* An HTTP proxy (reverse, plain TCP) in front of 127.0.0.1:upstream_port;
 * returns its port. */
static guint16
relay_start_proxy(Relay *r, guint16 upstream_port)
{
	g_autoptr(GError) error = NULL;
	guint16 port;

	r->upstream_port = upstream_port;
	/* create the service in the relay's context so its sources attach there */
	g_main_context_push_thread_default(r->ctx);
	r->service = g_socket_service_new();
	port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(r->service), NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(r->service, "incoming", G_CALLBACK(proxy_incoming), r);
	g_socket_service_start(r->service);
	g_main_context_pop_thread_default(r->ctx);
	relay_run(r);
	return port;
}

/* ------------------------------------------------------------ raw clients */

static void
udp_send_raw(guint16 port, const guint8 *data, gsize len)
{
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
					       G_SOCKET_PROTOCOL_UDP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) to = g_inet_socket_address_new(lo, port);
	g_autoptr(GError) error = NULL;

	(void)g_socket_send_to(sock, to, (const char *)data, len, NULL, &error);
	g_assert_no_error(error);
}

/* Send `request` over TCP, then read until the peer closes (or the deadline).
 * (transfer full) what was read. */
static char *
tcp_exchange(guint16 port, const void *request, gsize len, gboolean read_reply)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", port);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = NULL;
	GString *got = g_string_new(NULL);
	char buf[4096];
	gssize n;

	g_socket_client_set_enable_proxy(client, FALSE);
	conn = g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), (guint)rc_test_scale(10));
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), request, len,
				  NULL, NULL, &error);
	g_assert_no_error(error);
	while (read_reply &&
	       (n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
					sizeof buf, NULL, NULL)) > 0)
		g_string_append_len(got, buf, n);
	return g_string_free(got, FALSE);
}

/* ------------------------------------------------------------ tests */

/* Does this build's receptor know `entity` (its --help lists it)? */
static gboolean
receptor_has_entity(const char *entity)
{
	const char *argv[] = { rc_test_receptor_path(), "--help", NULL };
	g_autofree char *out = NULL;
	g_autofree char *needle = g_strdup_printf("--%s:", entity);

	(void)rc_test_run(argv, NULL, 30.0, &out, NULL);
	return out != NULL && strstr(out, needle) != NULL;
}

/* ------------------------------------------------------------ a stream across the mixed line */

#define STREAM_BYTES (20 * 1024 * 1024)

/* Sink behind D's tcp-client: hashes everything, answers the hex SHA-256 at EOF. */
typedef struct {
	GSocketConnection *conn;
	GChecksum *sum;
	guint8 buf[65536];
} SinkConn;

static void sink_read(SinkConn *sc);

static void
sink_read_done(GObject *src, GAsyncResult *res, gpointer data)
{
	SinkConn *sc = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, NULL);
	if (n > 0) {
		g_checksum_update(sc->sum, sc->buf, (gsize)n);
		sink_read(sc);
		return;
	}
	const char *hex = g_checksum_get_string(sc->sum);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(sc->conn));
	g_output_stream_write_all(out, hex, strlen(hex), NULL, NULL, NULL);
	g_io_stream_close(G_IO_STREAM(sc->conn), NULL, NULL);
	g_object_unref(sc->conn);
	g_checksum_free(sc->sum);
	g_free(sc);
}

static void
sink_read(SinkConn *sc)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(sc->conn)), sc->buf,
				  sizeof sc->buf, G_PRIORITY_DEFAULT, NULL, sink_read_done, sc);
}

static gboolean
sink_incoming(GSocketService *svc, GSocketConnection *conn, GObject *src, gpointer data)
{
	SinkConn *sc = g_new0(SinkConn, 1);
	sc->conn = g_object_ref(conn);
	sc->sum = g_checksum_new(G_CHECKSUM_SHA256);
	sink_read(sc);
	return TRUE;
}

/* The sending client runs in its own thread with blocking I/O, so the test's
 * main context stays free for the sink. */
typedef struct {
	guint16 port;
	char *expected;
	char *answer;
	gboolean done;
} StreamJob;

static gpointer
stream_client(gpointer data)
{
	StreamJob *j = data;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", j->port);
	g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(client, addr, 0, NULL, NULL);
	if (conn != NULL) {
		g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
		g_autofree guint8 *chunk = g_malloc(65536);
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
		guint32 x = 12345;
		gboolean ok = TRUE;
		for (gsize sent = 0; ok && sent < STREAM_BYTES; sent += 65536) {
			for (gsize i = 0; i < 65536; i++) {
				x = x * 1103515245u + 12345u;
				chunk[i] = (guint8)(x >> 16);
			}
			g_checksum_update(sum, chunk, 65536);
			ok = g_output_stream_write_all(out, chunk, 65536, NULL, NULL, NULL);
		}
		j->expected = g_strdup(g_checksum_get_string(sum));
		g_socket_shutdown(g_socket_connection_get_socket(conn), FALSE, TRUE, NULL);
		GString *ans = g_string_new(NULL);
		char buf[256];
		gssize n;
		while ((n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
						sizeof buf, NULL, NULL)) > 0)
			g_string_append_len(ans, buf, n);
		j->answer = g_string_free(ans, FALSE);
	}
	g_atomic_int_set(&j->done, TRUE);
	return NULL;
}

static gboolean
stream_job_done(gpointer data)
{
	return g_atomic_int_get(&((StreamJob *)data)->done);
}

static void
test_line_stream_20_mib(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 tcp_port = rc_test_free_port();
	guint16 udp_port = rc_test_free_udp_port();
	guint16 ws_port = rc_test_free_port();
	guint16 entry_port = rc_test_free_port();
	guint16 sink_port = rc_test_free_port();
	g_autofree char *a = g_strdup_printf("- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n"
					     "- tcp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n"
					     "    remotenode: D\n    remoteservice: sink\n",
					     tcp_port, entry_port);
	g_autofree char *b = g_strdup_printf("- tcp-peer:\n    address: 127.0.0.1:%u\n"
					     "- udp-listener:\n    port: %u\n"
					     "    bindaddr: 127.0.0.1\n", tcp_port, udp_port);
	g_autofree char *c = g_strdup_printf("- udp-peer:\n    address: 127.0.0.1:%u\n"
					     "- ws-listener:\n    port: %u\n"
					     "    bindaddr: 127.0.0.1\n", udp_port, ws_port);
	g_autofree char *d = g_strdup_printf("- ws-peer:\n    address: ws://127.0.0.1:%u/\n"
					     "- tcp-client:\n    service: sink\n"
					     "    address: 127.0.0.1:%u\n", ws_port, sink_port);
	GSocketService *sink = g_socket_service_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, sink_port);
	g_assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(sink), sa, G_SOCKET_TYPE_STREAM,
						    G_SOCKET_PROTOCOL_TCP, NULL, NULL, NULL));
	g_signal_connect(sink, "incoming", G_CALLBACK(sink_incoming), NULL);

	mesh_start(m, "A", a);
	mesh_start(m, "B", b);
	mesh_start(m, "C", c);
	mesh_start(m, "D", d);
	if (!wait_route(m, "A", "D", "B") || !wait_route(m, "D", "A", "C"))
		return;
	StreamJob j = {.port = entry_port};
	GThread *t = g_thread_new("stream-client", stream_client, &j);
	g_assert_true(rc_test_wait_until(stream_job_done, &j, "20 MiB across tcp, udp and ws",
					 BK_DEADLINE_S * 3));
	g_thread_join(t);
	g_assert_nonnull(j.expected);
	g_assert_cmpstr(j.answer, ==, j.expected);
	g_free(j.expected);
	g_free(j.answer);
	g_socket_service_stop(sink);
	g_object_unref(sink);
}

static void
test_line_tcp_udp_ws_routes_pings_traceroutes(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 tcp_port = rc_test_free_port();
	guint16 udp_port = rc_test_free_udp_port();
	guint16 ws_port = rc_test_free_port();
	g_autofree char *a = g_strdup_printf("- tcp-listener:\n    port: %u\n"
					     "    bindaddr: 127.0.0.1\n", tcp_port);
	g_autofree char *b = g_strdup_printf("- tcp-peer:\n    address: 127.0.0.1:%u\n"
					     "- udp-listener:\n    port: %u\n"
					     "    bindaddr: 127.0.0.1\n", tcp_port, udp_port);
	g_autofree char *c = g_strdup_printf("- udp-peer:\n    address: 127.0.0.1:%u\n"
					     "- ws-listener:\n    port: %u\n"
					     "    bindaddr: 127.0.0.1\n    path: /mesh\n",
					     udp_port, ws_port);
	g_autofree char *d = g_strdup_printf("- ws-peer:\n    address: ws://127.0.0.1:%u/mesh\n",
					     ws_port);
	RcTestNode *nb;
	RcTestNode *nc;

	mesh_start(m, "A", a);
	nb = mesh_start(m, "B", b);
	nc = mesh_start(m, "C", c);
	mesh_start(m, "D", d);
	if (!rc_test_node_wait_log(nb, "Connection established with C", BK_DEADLINE_S) ||
	    !rc_test_node_wait_log(nc, "Connection established with D", BK_DEADLINE_S))
		return;
	g_assert_true(rc_test_node_log_contains(nb, "Listening on UDP 127.0.0.1:"));
	g_assert_true(rc_test_node_log_contains(nc, "Running UDP peer connection 127.0.0.1:"));
	g_assert_true(rc_test_node_log_contains(nc, "Listening on Websocket 127.0.0.1:"));
	if (!wait_route(m, "A", "D", "B") || !wait_route(m, "D", "A", "C"))
		return;
	if (!wait_command(m, "A", "ping D", "\"From\":\"D\"") ||
	    !wait_command(m, "D", "ping A", "\"From\":\"A\""))
		return;
	(void)wait_command(m, "A", "traceroute D", "\"3\":{\"From\":\"D\"");
}

static void
test_wss_mutual_tls(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autoptr(RcTestCert) ca = rc_test_cert_new_ca("backends CA");
	g_autoptr(RcTestCert) other_ca = rc_test_cert_new_ca("stranger CA");
	const char *const ips[] = { "127.0.0.1", NULL };
	const char *const dns[] = { "localhost", NULL };
	/* tls.md: a node's own certificate carries its node ID (otherName SAN) */
	const char *const server_ids[] = { "wss-server", NULL };
	const char *const client_ids[] = { "wss-client", NULL };
	const char *const stranger_ids[] = { "wss-stranger", NULL };
	RcTestCertOpts server_opts = { .cn = "server", .ips = ips, .dns = dns,
				       .node_ids = server_ids };
	RcTestCertOpts client_opts = { .cn = "client", .node_ids = client_ids };
	RcTestCertOpts stranger_opts = { .cn = "stranger", .node_ids = stranger_ids };
	g_autoptr(RcTestCert) server = rc_test_cert_new(ca, &server_opts);
	g_autoptr(RcTestCert) client = rc_test_cert_new(ca, &client_opts);
	g_autoptr(RcTestCert) stranger = rc_test_cert_new(other_ca, &stranger_opts);
	g_autofree char *ca_crt = NULL, *ca_key = NULL, *s_crt = NULL, *s_key = NULL;
	g_autofree char *c_crt = NULL, *c_key = NULL, *x_crt = NULL, *x_key = NULL;
	guint16 port = rc_test_free_port();
	g_autofree char *listener = NULL, *peer = NULL, *bad_peer = NULL;
	RcTestNode *srv;

	g_assert_true(receptor_has_entity("tls-server") && receptor_has_entity("tls-client"));
	rc_test_cert_write(ca, NULL, m->dir, "ca", &ca_crt, &ca_key);
	rc_test_cert_write(server, NULL, m->dir, "server", &s_crt, &s_key);
	rc_test_cert_write(client, NULL, m->dir, "client", &c_crt, &c_key);
	rc_test_cert_write(stranger, NULL, m->dir, "stranger", &x_crt, &x_key);
	listener = g_strdup_printf("- tls-server:\n    name: srv\n    cert: %s\n    key: %s\n"
				   "    requireclientcert: true\n    clientcas: %s\n"
				   "    verifypeernodeid: true\n"
				   "- ws-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n"
				   "    tls: srv\n",
				   s_crt, s_key, ca_crt, port);
	peer = g_strdup_printf("- tls-client:\n    name: cli\n    cert: %s\n    key: %s\n"
			       "    rootcas: %s\n"
			       "- ws-peer:\n    address: wss://127.0.0.1:%u/\n    tls: cli\n",
			       c_crt, c_key, ca_crt, port);
	bad_peer = g_strdup_printf("- tls-client:\n    name: cli\n    cert: %s\n    key: %s\n"
				   "    rootcas: %s\n"
				   "- ws-peer:\n    address: wss://127.0.0.1:%u/\n    tls: cli\n",
				   x_crt, x_key, ca_crt, port);
	srv = mesh_start(m, "wss-server", listener);
	mesh_start(m, "wss-client", peer);
	if (!wait_route(m, "wss-server", "wss-client", "wss-client") ||
	    !wait_command(m, "wss-client", "ping wss-server", "\"From\":\"wss-server\""))
		return;
	/* a client certificate from another CA is refused by the listener */
	mesh_start(m, "wss-stranger", bad_peer);
	g_assert_true(rc_test_node_wait_log(srv, "TLS handshake error from 127.0.0.1:",
					    BK_DEADLINE_S));
	/* verifypeernodeid (receptor-c extension, tls.md 5.4): a trusted certificate
	 * that names another node is refused once the peer announces its ID */
	g_autofree char *liar = g_strdup_printf(
	    "- tls-client:\n    name: cli\n    cert: %s\n    key: %s\n    rootcas: %s\n"
	    "    skipreceptornamescheck: true\n"
	    "- ws-peer:\n    address: wss://127.0.0.1:%u/\n    tls: cli\n",
	    c_crt, c_key, ca_crt, port);
	mesh_start(m, "wss-liar", liar);
	g_assert_true(rc_test_node_wait_log(
	    srv, "x509: certificate is valid for Receptor node ID wss-client, not wss-liar",
	    BK_DEADLINE_S));
	g_assert_false(rc_test_node_log_contains(srv, "Connection established with wss-liar"));
}

static gboolean
check_proxy_seen(gpointer data)
{
	Relay *r = data;
	gboolean seen;

	g_mutex_lock(&r->lock);
	seen = r->seen_request_line != NULL;
	g_mutex_unlock(&r->lock);
	return seen;
}

static void
test_ws_peer_through_proxy_path_and_extraheader(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autoptr(Relay) r = relay_new();
	guint16 port = rc_test_free_port();
	guint16 proxy_port = relay_start_proxy(r, port);
	g_autofree char *listener = g_strdup_printf("- ws-listener:\n    port: %u\n"
						    "    bindaddr: 127.0.0.1\n"
						    "    path: /receptor/\n", port);
	g_autofree char *peer = g_strdup_printf("- ws-peer:\n"
						"    address: ws://127.0.0.1:%u/receptor/ws?x=1\n"
						"    extraheader: \"x-extra-data:  SomeData \"\n",
						proxy_port);

	mesh_start(m, "behind", listener);
	mesh_start(m, "front", peer);
	if (!rc_test_wait_until(check_proxy_seen, r, "the proxy saw a request", BK_DEADLINE_S) ||
	    !wait_route(m, "behind", "front", "front") ||
	    !wait_command(m, "front", "ping behind", "\"From\":\"behind\""))
		return;
	g_mutex_lock(&r->lock);
	g_assert_cmpstr(r->seen_request_line, ==, "GET /receptor/ws?x=1 HTTP/1.1");
	g_assert_cmpstr(r->seen_extra, ==, "SomeData");
	g_mutex_unlock(&r->lock);
}

typedef struct {
	Mesh *m;
	Relay *r;
	char *last;
} LossCheck;

static gboolean
check_losses(gpointer data)
{
	LossCheck *c = data;
	guint dropped;

	g_mutex_lock(&c->r->lock);
	dropped = c->r->dropped;
	g_mutex_unlock(&c->r->lock);
	if (dropped >= 5)
		return TRUE;
	g_free(c->last);
	c->last = mesh_command(c->m, "lossy-p", "ping lossy-l");
	return FALSE;
}

static void
test_ws_peer_through_connect_proxy_from_environment(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autoptr(Relay) r = relay_new();
	guint16 port = rc_test_free_port();
	guint16 proxy_port;
	g_autofree char *proxy_url = NULL;
	g_autofree char *listener = g_strdup_printf("- ws-listener:\n    port: %u\n"
						    "    bindaddr: 127.0.0.1\n", port);
	/* not loopback by name: Go never proxies localhost or loopback IPs;
	 * only the proxy resolves it (to 127.0.0.1) */
	g_autofree char *peer = g_strdup_printf("- ws-peer:\n"
						"    address: ws://behind.invalid:%u/mesh\n"
						"    extraheader: \"X-Extra-Data: viaconnect\"\n",
						port);
	g_autofree char *expect = g_strdup_printf("CONNECT behind.invalid:%u HTTP/1.1", port);

	r->connect_mode = TRUE;
	proxy_port = relay_start_proxy(r, port);
	proxy_url = g_strdup_printf("http://user:secret@127.0.0.1:%u", proxy_port);
	mesh_start(m, "behind2", listener);
	g_setenv("HTTP_PROXY", proxy_url, TRUE);
	mesh_start(m, "front2", peer);
	g_unsetenv("HTTP_PROXY");
	if (!rc_test_wait_until(check_proxy_seen, r, "the proxy saw a tunnelled request",
				BK_DEADLINE_S) ||
	    !wait_route(m, "behind2", "front2", "front2"))
		return;
	g_mutex_lock(&r->lock);
	g_assert_cmpstr(r->seen_connect, ==, expect);
	g_assert_cmpstr(r->seen_request_line, ==, "GET /mesh HTTP/1.1");
	g_assert_cmpstr(r->seen_extra, ==, "viaconnect");
	g_mutex_unlock(&r->lock);
}

static void
test_udp_converges_through_lossy_relay(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autoptr(Relay) r = relay_new();
	guint16 udp_port = rc_test_free_udp_port();
	guint16 relay_port = relay_start_udp(r, udp_port, 10);
	g_autofree char *listener = g_strdup_printf("- udp-listener:\n    port: %u\n"
						    "    bindaddr: 127.0.0.1\n", udp_port);
	g_autofree char *peer = g_strdup_printf("- udp-peer:\n    address: 127.0.0.1:%u\n",
						relay_port);
	LossCheck lc = { m, r, NULL };
	guint forwarded, dropped;

	mesh_start(m, "lossy-l", listener);
	mesh_start(m, "lossy-p", peer);
	if (!wait_route(m, "lossy-l", "lossy-p", "lossy-p") ||
	    !wait_route(m, "lossy-p", "lossy-l", "lossy-l"))
		return;
	/* keep pinging until the relay has really lost datagrams, then the
	 * link must still carry a ping */
	if (!rc_test_wait_until(check_losses, &lc, "the relay dropped 5 datagrams",
				BK_DEADLINE_S))
		return;
	g_free(lc.last);
	if (!wait_command(m, "lossy-p", "ping lossy-l", "\"From\":\"lossy-l\"") ||
	    !wait_command(m, "lossy-l", "ping lossy-p", "\"From\":\"lossy-p\""))
		return;
	g_mutex_lock(&r->lock);
	forwarded = r->forwarded;
	dropped = r->dropped;
	g_mutex_unlock(&r->lock);
	g_test_message("relay forwarded %u datagrams, dropped %u", forwarded, dropped);
	g_assert_cmpuint(dropped, >=, 5);
	g_assert_cmpuint(forwarded, >, dropped);
}

typedef struct {
	RcTestNode *node;
	guint16 port;
	const guint8 *data;
	gsize len;
	const char *needle;
} DatagramCheck;

/* Resend until the line shows up: the listener reports at most one dropped
 * datagram per second. */
static gboolean
check_datagram_logged(gpointer data)
{
	DatagramCheck *c = data;

	if (rc_test_node_log_contains(c->node, c->needle))
		return TRUE;
	udp_send_raw(c->port, c->data, c->len);
	return FALSE;
}

static void
test_refusals_are_logged(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 udp_port = rc_test_free_udp_port();
	guint16 ws_port = rc_test_free_port();
	g_autofree char *items = g_strdup_printf("- udp-listener:\n    port: %u\n"
						 "    bindaddr: 127.0.0.1\n"
						 "- ws-listener:\n    port: %u\n"
						 "    bindaddr: 127.0.0.1\n    path: /mesh\n",
						 udp_port, ws_port);
	RcTestNode *n = mesh_start(m, "refuser", items);
	static const guint8 garbage[] = { 'G', 'E', 'T', ' ', '/' };
	static const guint8 data_first[] = { 0x00, 0x1e, 0x00, 0x00 };
	static const char plain_get[] = "GET /mesh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char wrong_path[] = "GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char upgrade[] = "GET /mesh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				      "Connection: Upgrade\r\nUpgrade: websocket\r\n"
				      "Sec-WebSocket-Version: 13\r\n"
				      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
	DatagramCheck dc = { n, udp_port, garbage, sizeof garbage,
			     "dropping datagram from 127.0.0.1:" };
	g_autofree char *reply = NULL;
	g_autofree guint8 *big = NULL;
	gsize big_len;
	gsize payload = 200 * 1024;

	if (!rc_test_node_wait_log(n, "Listening on Websocket", BK_DEADLINE_S))
		return;
	/* UDP: garbage and non-hello datagrams from unknown addresses */
	if (!rc_test_wait_until(check_datagram_logged, &dc, "garbage datagram logged",
				BK_DEADLINE_S))
		return;
	g_assert_true(rc_test_node_log_contains(n, ": not a Netceptor message"));
	dc.data = data_first;
	dc.len = sizeof data_first;
	dc.needle = "no session for this address and not a routing update";
	if (!rc_test_wait_until(check_datagram_logged, &dc, "non-hello datagram logged",
				BK_DEADLINE_S))
		return;
	dc.data = garbage;
	dc.len = 0;
	dc.needle = ": empty datagram";
	if (!rc_test_wait_until(check_datagram_logged, &dc, "empty datagram logged",
				BK_DEADLINE_S))
		return;

	/* HTTP requests that are no websocket upgrade */
	reply = tcp_exchange(ws_port, plain_get, strlen(plain_get), TRUE);
	g_assert_true(g_str_has_prefix(reply, "HTTP/1.1 400 Bad Request\r\n"));
	if (!rc_test_node_wait_log(n,
				   "Error upgrading websocket connection: websocket: the client "
				   "is not using the websocket protocol: 'upgrade' token not found "
				   "in 'Connection' header",
				   BK_DEADLINE_S))
		return;
	g_clear_pointer(&reply, g_free);
	reply = tcp_exchange(ws_port, wrong_path, strlen(wrong_path), TRUE);
	g_assert_true(g_str_has_prefix(reply, "HTTP/1.1 404 Not Found\r\n"));
	g_assert_true(g_str_has_suffix(reply, "404 page not found\n"));
	if (!rc_test_node_wait_log(n, "no websocket at path /other (answered 404)",
				   BK_DEADLINE_S))
		return;

	/* an oversize websocket message (200 KiB, masked with a zero key) */
	big_len = strlen(upgrade) + 14 + payload;
	big = g_malloc0(big_len);
	memcpy(big, upgrade, strlen(upgrade));
	big[strlen(upgrade)] = 0x82;
	big[strlen(upgrade) + 1] = 0x80 | 127;
	for (int i = 0; i < 8; i++)
		big[strlen(upgrade) + 2 + i] = (guint8)((guint64)payload >> (56 - 8 * i));
	g_clear_pointer(&reply, g_free);
	reply = tcp_exchange(ws_port, big, big_len, TRUE);
	/* a peer's close frame ends the link with gorilla's close-error text */
	{
		g_autofree guint8 *closing = g_malloc0(strlen(upgrade) + 8);
		const guint8 frame[] = { 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8 };

		memcpy(closing, upgrade, strlen(upgrade));
		memcpy(closing + strlen(upgrade), frame, sizeof frame);
		g_free(tcp_exchange(ws_port, closing, strlen(upgrade) + sizeof frame, TRUE));
		if (!rc_test_node_wait_log(n, "Backend receiving error websocket: close 1000 (normal)",
					   BK_DEADLINE_S))
			return;
	}
	if (!rc_test_node_wait_log(n, "larger than configured max-incoming-payload-size",
				   BK_DEADLINE_S))
		return;
	(void)rc_test_node_wait_log(n,
				    "Backend receiving error Received WebSocket payload from the "
				    "client larger than configured max-incoming-payload-size",
				    BK_DEADLINE_S);
}

/* Read exactly `len` bytes (deadline from the socket timeout). */
static gboolean
read_exact(GInputStream *in, guint8 *buf, gsize len)
{
	gsize got = 0;

	return g_input_stream_read_all(in, buf, len, &got, NULL, NULL) && got == len;
}

static void
test_wire_bytes_match_go(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 udp_port = rc_test_free_udp_port();
	guint16 ws_port = rc_test_free_port();
	g_autofree char *items = g_strdup_printf("- udp-listener:\n    port: %u\n"
						 "    bindaddr: 127.0.0.1\n"
						 "- ws-listener:\n    port: %u\n"
						 "    bindaddr: 127.0.0.1\n",
						 udp_port, ws_port);
	RcTestNode *n = mesh_start(m, "wirebytes", items);
	/* what a Go ws-peer sends (wire.md 9.6) */
	g_autofree char *request = g_strdup_printf(
		"GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: Go-http-client/1.1\r\n"
		"Connection: Upgrade\r\nOrigin: http://127.0.0.1:%u\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
		"Upgrade: websocket\r\n\r\n",
		ws_port, ws_port);
	static const char expect_head[] = "HTTP/1.1 101 Switching Protocols\r\n"
					  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
					  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", ws_port);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	guint8 head[sizeof expect_head - 1];
	guint8 frame[4];
	static const guint8 hello[] = { 0x01, '{', '}' };
	g_autoptr(GSocket) udp = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) to = g_inet_socket_address_new(lo, udp_port);
	guint8 datagram[65536];
	gssize n_read;

	if (!rc_test_node_wait_log(n, "Listening on Websocket", BK_DEADLINE_S))
		return;
	/* websocket: gorilla's 101 response, then an unmasked single binary frame
	 * carrying the initial routing update (wire.md 5.2, 12.5) */
	g_socket_client_set_enable_proxy(client, FALSE);
	conn = g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), (guint)rc_test_scale(10));
	g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
						request, strlen(request), NULL, NULL, NULL));
	g_assert_true(read_exact(g_io_stream_get_input_stream(G_IO_STREAM(conn)), head,
				 sizeof head));
	g_assert_cmpmem(head, sizeof head, expect_head, sizeof expect_head - 1);
	g_assert_true(read_exact(g_io_stream_get_input_stream(G_IO_STREAM(conn)), frame, 2));
	g_assert_cmphex(frame[0], ==, 0x82);          /* FIN, binary */
	g_assert_cmphex(frame[1] & 0x80, ==, 0);      /* servers do not mask */
	if ((frame[1] & 0x7f) >= 126) /* 16- or 64-bit extended length */
		g_assert_true(read_exact(g_io_stream_get_input_stream(G_IO_STREAM(conn)),
					 datagram, (frame[1] & 0x7f) == 126 ? 2 : 8));
	g_assert_true(read_exact(g_io_stream_get_input_stream(G_IO_STREAM(conn)), frame + 2, 2));
	g_assert_cmphex(frame[2], ==, 0x01);          /* routing update */
	g_assert_cmphex(frame[3], ==, '{');
	/* we never answer: the node gives up after its initial messages (wire.md
	 * 5.2) and ends the session without a close frame (wire.md 9.1, 9.6) */
	{
		GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
		guint frames = 1;
		gsize rest;

		g_socket_set_timeout(g_socket_connection_get_socket(conn),
				     (guint)rc_test_scale(30));
		/* the rest of the first frame's payload */
		rest = ((frame[1] & 0x7f) == 126 ? ((gsize)datagram[0] << 8 | datagram[1])
						  : (gsize)(frame[1] & 0x7f)) - 2;
		g_assert_true(read_exact(in, datagram, rest));
		while (read_exact(in, frame, 2)) {
			gsize len = frame[1] & 0x7f;

			g_assert_cmphex(frame[0], ==, 0x82);
			if (len == 126) {
				g_assert_true(read_exact(in, frame + 2, 2));
				len = (gsize)frame[2] << 8 | frame[3];
			}
			g_assert_cmpuint(len, <=, sizeof datagram);
			g_assert_true(read_exact(in, datagram, len));
			frames++;
		}
		g_assert_cmpuint(frames, ==, 11);
		g_assert_true(rc_test_node_log_contains(n, "Giving up on connection initialization"));
	}

	/* UDP: a routing update from a new address starts a session, and the
	 * listener answers from its own socket with its initial routing update */
	udp = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
			   &error);
	g_assert_no_error(error);
	g_socket_set_timeout(udp, (guint)rc_test_scale(10));
	g_assert_true(g_socket_connect(udp, to, NULL, &error));
	g_assert_cmpint(g_socket_send(udp, (const char *)hello, sizeof hello, NULL, &error), ==,
			sizeof hello);
	n_read = g_socket_receive(udp, (char *)datagram, sizeof datagram, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n_read, >, 2);
	g_assert_cmphex(datagram[0], ==, 0x01);
	g_assert_cmphex(datagram[1], ==, '{');
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backends/line/tcp-udp-ws-routes-pings-and-traceroutes",
			test_line_tcp_udp_ws_routes_pings_traceroutes);
	g_test_add_func("/backends/line/20-mib-stream-across-tcp-udp-ws-is-byte-exact",
			test_line_stream_20_mib);
	g_test_add_func("/backends/ws/wss-with-mutual-tls", test_wss_mutual_tls);
	g_test_add_func("/backends/ws/peer-through-proxy-sends-path-and-extraheader",
			test_ws_peer_through_proxy_path_and_extraheader);
	g_test_add_func("/backends/ws/peer-through-connect-proxy-from-environment",
			test_ws_peer_through_connect_proxy_from_environment);
	g_test_add_func("/backends/udp/converges-through-ten-percent-loss",
			test_udp_converges_through_lossy_relay);
	g_test_add_func("/backends/wire/listeners-answer-with-go-bytes", test_wire_bytes_match_go);
	g_test_add_func("/backends/refusals/garbage-oversize-and-non-websocket-are-logged",
			test_refusals_are_logged);
	return g_test_run();
}
