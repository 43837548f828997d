/* test-proxies.c: the udp- and unix-socket- proxies of the service-proxy plugin
 * carrying real client/server traffic across a line of `receptor` daemons
 * (streams.md 7.4-7.7), and a tcp-server stopped while its dial is in flight. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "rc-test.h"

#define DEADLINE_S 60.0

typedef struct {
	char *dir;
	GPtrArray *nodes; /* RcTestNode* */
	GHashTable *ports; /* name -> port */
} Mesh;

static Mesh *
mesh_new(void)
{
	Mesh *m = g_new0(Mesh, 1);
	m->dir = rc_test_make_tmpdir("proxies");
	m->nodes = g_ptr_array_new();
	m->ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return m;
}

static void
mesh_free(Mesh *m)
{
	for (guint i = 0; i < m->nodes->len; i++) {
		RcTestNode *node = g_ptr_array_index(m->nodes, i);
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

/* A node of the line p1 - p2 - p3: p1 and p2 listen, p2 and p3 dial their left neighbour. */
static RcTestNode *
mesh_start(Mesh *m, const char *name, const char *peer, const char *extra)
{
	GString *y = g_string_new("---\n");
	g_string_append_printf(y, "- node:\n    id: %s\n- log-level: debug\n", name);
	if (g_strcmp0(name, "p3") != 0)
		g_string_append_printf(y, "- tcp-listener:\n    port: %u\n    bindaddr: 127.0.0.1\n",
				       mesh_port(m, name));
	if (peer != NULL)
		g_string_append_printf(y, "- tcp-peer:\n    address: 127.0.0.1:%u\n",
				       mesh_port(m, peer));
	if (extra != NULL)
		g_string_append(y, extra);
	g_autofree char *yaml = g_string_free(y, FALSE);
	RcTestNode *node = rc_test_node_start(m->dir, name, yaml);
	g_ptr_array_add(m->nodes, node);
	return node;
}

/* ------------------------------------------------------------ UDP */

/* An in-test UDP echo server that prefixes every answer with "echo:". */
typedef struct {
	GSocket *socket;
	GSource *source;
	guint served;
} UdpEcho;

static gboolean
udp_echo_readable(GSocket *socket, GIOCondition cond, gpointer data)
{
	UdpEcho *e = data;
	char buf[2048];
	g_autoptr(GSocketAddress) from = NULL;
	gssize n = g_socket_receive_from(socket, &from, buf + 5, sizeof buf - 5, NULL, NULL);
	if (n > 0) {
		memcpy(buf, "echo:", 5);
		g_socket_send_to(socket, from, buf, (gsize)n + 5, NULL, NULL);
		e->served++;
	}
	return G_SOURCE_CONTINUE;
}

static GSocket *
udp_socket_bound(guint16 port)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				  G_SOCKET_PROTOCOL_UDP, &error);
	g_assert_no_error(error);
	g_socket_bind(s, sa, TRUE, &error);
	g_assert_no_error(error);
	g_socket_set_blocking(s, FALSE);
	return s;
}

typedef struct {
	GSocket *socket;
	GSocketAddress *to;
	char *text;
	gint64 next_us;
	char reply[2048];
	gssize reply_len;
} UdpProbe;

/* Send the probe at most every 200 ms (UDP is lossy while routes converge)
 * until an answer arrives. */
static gboolean
udp_probe_answered(gpointer data)
{
	UdpProbe *p = data;
	gssize n = g_socket_receive(p->socket, p->reply, sizeof p->reply, NULL, NULL);
	if (n > 0) {
		p->reply_len = n;
		return TRUE;
	}
	if (g_get_monotonic_time() >= p->next_us) {
		p->next_us = g_get_monotonic_time() + G_USEC_PER_SEC / 5;
		g_socket_send_to(p->socket, p->to, p->text, strlen(p->text), NULL, NULL);
	}
	return FALSE;
}

static void
test_udp_across_nodes(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 echo_port = rc_test_free_udp_port();
	guint16 entry_port = rc_test_free_udp_port();
	UdpEcho echo = { 0 };
	echo.socket = udp_socket_bound(echo_port);
	echo.source = g_socket_create_source(echo.socket, G_IO_IN, NULL);
	g_source_set_callback(echo.source, (GSourceFunc)(void (*)(void))udp_echo_readable, &echo,
			      NULL);
	g_source_attach(echo.source, NULL);

	g_autofree char *p1_extra = g_strdup_printf(
	    "- udp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n    remotenode: p3\n"
	    "    remoteservice: uecho\n",
	    entry_port);
	g_autofree char *p3_extra = g_strdup_printf(
	    "- udp-client:\n    service: uecho\n    address: 127.0.0.1:%u\n", echo_port);
	mesh_start(m, "p1", NULL, p1_extra);
	mesh_start(m, "p2", "p1", NULL);
	mesh_start(m, "p3", "p2", p3_extra);

	/* two UDP clients: each gets its own mesh session and only its answers */
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) entry = g_inet_socket_address_new(lo, entry_port);
	UdpProbe a = { udp_socket_bound(0), entry, g_strdup("hello from a"), 0, { 0 }, 0 };
	UdpProbe b = { udp_socket_bound(0), entry, g_strdup("hello from b"), 0, { 0 }, 0 };
	g_assert_true(rc_test_wait_until(udp_probe_answered, &a, "UDP answer to client a",
					 DEADLINE_S));
	g_assert_cmpmem(a.reply, (gsize)a.reply_len, "echo:hello from a", 17);
	g_assert_true(rc_test_wait_until(udp_probe_answered, &b, "UDP answer to client b",
					 DEADLINE_S));
	g_assert_cmpmem(b.reply, (gsize)b.reply_len, "echo:hello from b", 17);

	/* a larger datagram crosses unchanged (one UDP datagram = one mesh datagram) */
	g_free(a.text);
	a.text = g_malloc(1401);
	for (guint i = 0; i < 1400; i++)
		a.text[i] = (char)('a' + i % 26);
	a.text[1400] = '\0';
	a.next_us = 0;
	g_assert_true(rc_test_wait_until(udp_probe_answered, &a, "large UDP answer", DEADLINE_S));
	g_assert_cmpint(a.reply_len, ==, 1405);
	g_assert_cmpmem(a.reply + 5, 1400, a.text, 1400);

	g_free(a.text);
	g_free(b.text);
	g_object_unref(a.socket);
	g_object_unref(b.socket);
	g_source_destroy(echo.source);
	g_source_unref(echo.source);
	g_object_unref(echo.socket);
}

/* ------------------------------------------------------------ Unix sockets */

static void
unix_echo_done(GObject *source, GAsyncResult *res, gpointer data)
{
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, NULL);
	g_object_unref(data);
}

static gboolean
unix_echo_incoming(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer data)
{
	GIOStream *io = G_IO_STREAM(g_object_ref(conn));
	g_output_stream_splice_async(g_io_stream_get_output_stream(io),
				     g_io_stream_get_input_stream(io),
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
				     unix_echo_done, io);
	return TRUE;
}

typedef struct {
	GSocketConnection *conn;
	GBytes *payload;
	GByteArray *answer;
	guint8 buf[65536];
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
}

static gboolean
exchange_is_done(gpointer data)
{
	return ((Exchange *)data)->done;
}

/* Connect to the Unix socket `path`, send `payload`, half-close, read all. */
static Exchange *
unix_exchange(const char *path, GBytes *payload)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(path);
	Exchange *x = g_new0(Exchange, 1);
	x->answer = g_byte_array_new();
	x->payload = g_bytes_ref(payload);
	x->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(sa), NULL, &x->error);
	if (x->conn == NULL) {
		x->done = TRUE;
		return x;
	}
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(payload, &len);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(x->conn)), p,
					len, G_PRIORITY_DEFAULT, NULL, exchange_written, x);
	exchange_read(x);
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

typedef struct {
	const char *path;
	gint64 next_us;
} UnixProbe;

static gboolean
unix_echo_works(gpointer data)
{
	UnixProbe *p = data;
	if (g_get_monotonic_time() < p->next_us)
		return FALSE;
	p->next_us = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
	g_autoptr(GBytes) b = g_bytes_new_static("probe", 5);
	Exchange *x = unix_exchange(p->path, b);
	gboolean ok = rc_test_wait_until(exchange_is_done, x, "Unix probe", 20) &&
		      x->answer->len == 5 && memcmp(x->answer->data, "probe", 5) == 0;
	exchange_free(x);
	return ok;
}

static void
test_unix_across_nodes(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *echo_path = g_build_filename(m->dir, "echo.sock", NULL);
	g_autofree char *entry_path = g_build_filename(m->dir, "entry.sock", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) esa = g_unix_socket_address_new(echo_path);
	GSocketService *echo = g_socket_service_new();
	g_socket_listener_add_address(G_SOCKET_LISTENER(echo), esa, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(echo, "incoming", G_CALLBACK(unix_echo_incoming), NULL);
	g_socket_service_start(echo);

	g_autofree char *p1_extra = g_strdup_printf(
	    "- unix-socket-server:\n    filename: %s\n    permissions: 0640\n"
	    "    remotenode: p3\n    remoteservice: uxecho\n",
	    entry_path);
	g_autofree char *p3_extra = g_strdup_printf(
	    "- unix-socket-client:\n    service: uxecho\n    filename: %s\n", echo_path);
	RcTestNode *p1 = mesh_start(m, "p1", NULL, p1_extra);
	mesh_start(m, "p2", "p1", NULL);
	mesh_start(m, "p3", "p2", p3_extra);

	/* the socket file exists with the configured mode, its lock file with 0600 */
	g_assert_true(rc_test_node_wait_log(p1, "Running Unix socket server", DEADLINE_S));
	GStatBuf st;
	g_assert_cmpint(g_stat(entry_path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0640);
	g_autofree char *lock_path = g_strdup_printf("%s.lock", entry_path);
	g_assert_cmpint(g_stat(lock_path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);

	UnixProbe probe = { entry_path, 0 };
	g_assert_true(rc_test_wait_until(unix_echo_works, &probe, "echo through the Unix proxies",
					 DEADLINE_S));
	/* 4 MiB each way, byte for byte */
	gsize size = 4 * 1024 * 1024;
	g_autoptr(GBytes) payload = pattern(size);
	Exchange *x = unix_exchange(entry_path, payload);
	g_assert_true(rc_test_wait_until(exchange_is_done, x, "4 MiB echoed", DEADLINE_S * 2));
	g_assert_no_error(x->error);
	g_assert_cmpuint(x->answer->len, ==, size);
	g_assert_true(memcmp(x->answer->data, g_bytes_get_data(payload, NULL), size) == 0);
	exchange_free(x);

	g_socket_service_stop(echo);
	g_socket_listener_close(G_SOCKET_LISTENER(echo));
	g_object_unref(echo);
}

static void
test_unix_lock_held(void)
{
	g_autoptr(Mesh) m = mesh_new();
	g_autofree char *entry_path = g_build_filename(m->dir, "entry.sock", NULL);
	g_autofree char *extra = g_strdup_printf(
	    "- unix-socket-server:\n    filename: %s\n    remotenode: p3\n    remoteservice: x\n",
	    entry_path);
	RcTestNode *p1 = mesh_start(m, "p1", NULL, extra);
	g_assert_true(rc_test_node_wait_log(p1, "Running Unix socket server", DEADLINE_S));
	/* a second node on the same file cannot take the lock and fails to start */
	RcTestNode *p2 = mesh_start(m, "p2", "p1", extra);
	g_assert_cmpint(rc_test_node_wait_exit(p2, DEADLINE_S), ==, 1);
	g_assert_true(rc_test_node_log_contains(
	    p2, "error opening Unix socket: could not acquire lock on socket file: fslock is "
		"already locked"));
}

/* ------------------------------------------------------------ stop while dialling */

static void
test_stop_while_dialling(void)
{
	g_autoptr(Mesh) m = mesh_new();
	guint16 entry_port = mesh_port(m, "entry");
	g_autofree char *p1_extra = g_strdup_printf(
	    "- tcp-server:\n    port: %u\n    bindaddr: 127.0.0.1\n    remotenode: p2\n"
	    "    remoteservice: nothing\n",
	    entry_port);
	RcTestNode *p1 = mesh_start(m, "p1", NULL, p1_extra);
	RcTestNode *p2 = mesh_start(m, "p2", "p1", NULL);
	g_assert_true(rc_test_node_wait_log(p1, " p2:p2", DEADLINE_S));
	/* a frozen peer never answers: the dial stays in its handshake */
	g_assert_cmpint(kill(rc_test_node_pid(p2), SIGSTOP), ==, 0);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", entry_port);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_to_host(client, addr, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(rc_test_node_wait_log(p1, "Dialing p2:nothing for TCP client", DEADLINE_S));
	/* the plugin stops with the dial in flight; the node exits cleanly
	 * (the sanitizer build turns a use-after-free into a failure here) */
	g_assert_cmpint(rc_test_node_stop(p1), ==, 0);
	kill(rc_test_node_pid(p2), SIGCONT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proxies/udp-datagrams-cross-three-nodes-per-client-session",
			test_udp_across_nodes);
	g_test_add_func("/proxies/unix-socket-stream-crosses-three-nodes-byte-exact",
			test_unix_across_nodes);
	g_test_add_func("/proxies/unix-socket-server-refuses-a-held-lock", test_unix_lock_held);
	g_test_add_func("/proxies/tcp-server-stops-cleanly-while-a-dial-is-in-flight",
			test_stop_while_dialling);
	return g_test_run();
}
