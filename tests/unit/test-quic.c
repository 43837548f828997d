/* test-quic.c: the QUIC layer (rc-quic.c) and RcStream over an in-process
 * datagram network joining endpoints (no sockets, no Netceptor). */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "rc-limits.h"
#include "rc-quic.h"
#include "rc-stream-private.h"
#include "rc-test.h"

/* ------------------------------------------------------------ in-process net */

typedef struct {
	GHashTable *bindings; /* "node:service" -> Binding* */
	GRand *rand;
	double loss;        /* drop probability per datagram */
	gboolean blackhole; /* drop everything */
	gboolean full;      /* can_send says no */
	guint64 sent_while_full;
	guint64 datagrams;
	gsize max_len;
	guint next_eph;
} Net;

typedef struct {
	Net *net;
	char *key;
	char *node;
	char *service;
	RcQuicEndpoint *ep; /* borrowed */
} Binding;

typedef struct {
	Net *net;
	char *sender_key;
	char *to_node;
	char *to_service;
} Unreach;

static gboolean
unreach_idle(gpointer data)
{
	Unreach *u = data;
	Binding *b = g_hash_table_lookup(u->net->bindings, u->sender_key);
	if (b != NULL)
		rc_quic_endpoint_unreachable(b->ep, u->to_node, u->to_service, "service unknown");
	g_free(u->sender_key);
	g_free(u->to_node);
	g_free(u->to_service);
	g_free(u);
	return G_SOURCE_REMOVE;
}

static gboolean
net_send(gpointer transport, const char *node, const char *service, const guint8 *data,
	 gsize len, GError **error)
{
	Binding *b = transport;
	Net *net = b->net;
	if (net->full)
		net->sent_while_full++;
	net->datagrams++;
	net->max_len = MAX(net->max_len, len);
	if (net->blackhole || (net->loss > 0 && g_rand_double(net->rand) < net->loss))
		return TRUE;
	g_autofree char *key = g_strdup_printf("%s:%s", node, service);
	Binding *to = g_hash_table_lookup(net->bindings, key);
	if (to == NULL) {
		if (g_strcmp0(node, b->node) == 0) {
			g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "service unknown");
			return FALSE;
		}
		Unreach *u = g_new0(Unreach, 1);
		u->net = net;
		u->sender_key = g_strdup(b->key);
		u->to_node = g_strdup(node);
		u->to_service = g_strdup(service);
		g_idle_add(unreach_idle, u);
		return TRUE;
	}
	rc_quic_endpoint_deliver(to->ep, b->node, b->service, data, len);
	return TRUE;
}

static void
binding_free(Binding *b)
{
	g_free(b->key);
	g_free(b->node);
	g_free(b->service);
	g_free(b);
}

static void
net_close(gpointer transport)
{
	Binding *b = transport;
	if (g_hash_table_lookup(b->net->bindings, b->key) == b)
		g_hash_table_remove(b->net->bindings, b->key);
	else
		binding_free(b); /* crashed earlier (net_crash) */
}

static gboolean
net_can_send(gpointer transport, const char *node, gsize len)
{
	Binding *b = transport;
	return !b->net->full;
}

static const RcQuicTransportOps net_ops = {
	.send = net_send,
	.close = net_close,
	.can_send = net_can_send,
};

static Net *
net_new(void)
{
	Net *net = g_new0(Net, 1);
	net->bindings =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)binding_free);
	net->rand = g_rand_new_with_seed(42);
	return net;
}

static gboolean
check_net_empty(gpointer data)
{
	return g_hash_table_size(((Net *)data)->bindings) == 0;
}

static void
net_free(Net *net)
{
	/* dialers' endpoints go once their connection has closed */
	rc_test_wait_until(check_net_empty, net, "all bindings closed", 10);
	g_assert_cmpuint(g_hash_table_size(net->bindings), ==, 0);
	g_hash_table_unref(net->bindings);
	g_rand_free(net->rand);
	g_free(net);
}

static RcQuicEndpoint *
net_endpoint(Net *net, const char *node, const char *service, gboolean listen,
	     const RcQuicTimeouts *to)
{
	g_autoptr(GError) error = NULL;
	Binding *b = g_new0(Binding, 1);
	b->net = net;
	b->node = g_strdup(node);
	b->service = g_strdup(service);
	b->key = g_strdup_printf("%s:%s", node, service);
	g_assert_null(g_hash_table_lookup(net->bindings, b->key));
	g_hash_table_insert(net->bindings, b->key, b);
	b->ep = rc_quic_endpoint_new(node, service, listen, &net_ops, b, NULL, NULL, to, &error);
	g_assert_no_error(error);
	return b->ep;
}

/* Remove a binding without telling its endpoint: the peer "crashed". */
static void
net_crash(Net *net, const char *node, const char *service)
{
	g_autofree char *key = g_strdup_printf("%s:%s", node, service);
	g_assert_true(g_hash_table_steal(net->bindings, key));
}

/* ------------------------------------------------------------ helpers */

static gboolean
check_flag(gpointer data)
{
	return *(gboolean *)data;
}

typedef struct {
	gboolean done;
	RcQuicConn *conn;
	GError *error;
} DialResult;

static void
dial_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	DialResult *r = data;
	r->conn = rc_quic_dial_finish(res, &r->error);
	r->done = TRUE;
}

static RcStream *
dial(Net *net, const char *node, const char *service, const RcQuicTimeouts *to, GError **error)
{
	DialResult r = { 0 };
	g_autofree char *eph = g_strdup_printf("eph%u", net->next_eph++);
	RcQuicEndpoint *ep = net_endpoint(net, "alpha", eph, FALSE, to);
	rc_quic_dial_async(ep, node, service, NULL, dial_cb, &r);
	rc_quic_endpoint_unref(ep); /* the dial owns it */
	g_assert_true(rc_test_wait_until(check_flag, &r.done, "dial result", 40));
	if (r.conn == NULL) {
		g_propagate_error(error, r.error);
		return NULL;
	}
	RcStream *s = rc_stream_new_for_conn(r.conn);
	rc_quic_conn_unref(r.conn);
	return s;
}

/* Accepted streams: echo (splice) or hold. */
typedef struct {
	gboolean echo;
	GPtrArray *streams; /* RcStream* held */
	guint accepted;
} Server;

static void
echo_done(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, &error);
	g_object_unref(data);
}

static void
accept_cb(gpointer user_data, RcQuicConn *conn)
{
	Server *srv = user_data;
	RcStream *s = rc_stream_new_for_conn(conn);
	srv->accepted++;
	if (srv->echo) {
		GIOStream *io = G_IO_STREAM(s);
		g_output_stream_splice_async(g_io_stream_get_output_stream(io),
					     g_io_stream_get_input_stream(io),
					     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
					     G_PRIORITY_DEFAULT, NULL, echo_done, s);
	} else {
		g_ptr_array_add(srv->streams, s);
	}
}

static gboolean
check_accepted(gpointer data)
{
	return ((Server *)data)->accepted > 0;
}

static Server *
server_new(gboolean echo)
{
	Server *srv = g_new0(Server, 1);
	srv->echo = echo;
	srv->streams = g_ptr_array_new_with_free_func(g_object_unref);
	return srv;
}

static void
server_free(Server *srv)
{
	g_ptr_array_unref(srv->streams);
	g_free(srv);
}

/* Read everything until EOF or error. */
typedef struct {
	GInputStream *in;
	GByteArray *data;
	guint8 buf[65536];
	gboolean done;
	GError *error;
} Reader;

static void reader_next(Reader *r);

static void
reader_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Reader *r = data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &r->error);
	if (n <= 0) {
		r->done = TRUE;
		return;
	}
	g_byte_array_append(r->data, r->buf, (guint)n);
	reader_next(r);
}

static void
reader_next(Reader *r)
{
	g_input_stream_read_async(r->in, r->buf, sizeof r->buf, G_PRIORITY_DEFAULT, NULL,
				  reader_cb, r);
}

static Reader *
reader_start(GIOStream *io)
{
	Reader *r = g_new0(Reader, 1);
	r->in = g_io_stream_get_input_stream(io);
	r->data = g_byte_array_new();
	reader_next(r);
	return r;
}

static void
reader_free(Reader *r)
{
	g_byte_array_unref(r->data);
	g_clear_error(&r->error);
	g_free(r);
}

typedef struct {
	gboolean done;
	GError *error;
} Op;

static void
splice_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Op *op = data;
	g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, &op->error);
	op->done = TRUE;
}

static void
write_all_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	Op *op = data;
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &op->error);
	op->done = TRUE;
}

static void
write_all(GIOStream *io, const char *text)
{
	Op op = { 0 };
	g_output_stream_write_all_async(g_io_stream_get_output_stream(io), text, strlen(text),
					G_PRIORITY_DEFAULT, NULL, write_all_cb, &op);
	g_assert_true(rc_test_wait_until(check_flag, &op.done, "write", 10));
	g_assert_no_error(op.error);
}

static gboolean
reader_done(gpointer data)
{
	return ((Reader *)data)->done;
}

static GBytes *
pattern(gsize len)
{
	guint8 *p = g_malloc(len);
	guint32 x = 2463534242u;
	for (gsize i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (guint8)x;
	}
	return g_bytes_new_take(p, len);
}

static gboolean
check_no_conns(gpointer data)
{
	return rc_quic_endpoint_get_n_conns(data) == 0;
}

/* ------------------------------------------------------------ tests */

static void
test_handshake_echo(void)
{
	Net *net = net_new();
	Server *srv = server_new(TRUE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "echo", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "echo", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(rc_stream_get_remote_node(s), ==, "beta");
	g_assert_cmpstr(rc_stream_get_remote_service(s), ==, "echo");

	Reader *r = reader_start(G_IO_STREAM(s));
	write_all(G_IO_STREAM(s), "hello");
	g_output_stream_close(g_io_stream_get_output_stream(G_IO_STREAM(s)), NULL, NULL);
	g_assert_true(rc_test_wait_until(reader_done, r, "echo and EOF", 10));
	g_assert_no_error(r->error);
	g_assert_cmpmem(r->data->data, r->data->len, "hello", 5);
	g_assert_cmpuint(srv->accepted, ==, 1);
	/* every datagram stayed within Go's receive limit (streams.md 1.5) */
	g_assert_cmpuint(net->max_len, <=, RC_QUIC_MAX_UDP_PAYLOAD);
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
transfer(double loss, gsize size)
{
	Net *net = net_new();
	Server *srv = server_new(TRUE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "echo", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "echo", NULL, &error);
	g_assert_no_error(error);
	net->loss = loss;

	g_autoptr(GBytes) payload = pattern(size);
	g_autoptr(GInputStream) src = g_memory_input_stream_new_from_bytes(payload);
	Op op = { 0 };
	Reader *r = reader_start(G_IO_STREAM(s));
	g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(s)), src,
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
				     splice_cb, &op);
	g_assert_true(rc_test_wait_until(reader_done, r, "echoed payload and EOF", 120));
	g_assert_true(rc_test_wait_until(check_flag, &op.done, "splice end", 10));
	g_assert_no_error(op.error);
	g_assert_no_error(r->error);
	g_assert_cmpuint(r->data->len, ==, size);
	g_assert_true(memcmp(r->data->data, g_bytes_get_data(payload, NULL), size) == 0);
	/* two receptor-c endpoints agree on packets above Go's 1452 (rc-limits.h) */
	g_assert_cmpuint(net->max_len, <=, RC_QUIC_MESH_MAX_UDP_PAYLOAD);
	g_assert_cmpuint(net->max_len, >, RC_QUIC_MAX_UDP_PAYLOAD);
	g_test_message("%" G_GSIZE_FORMAT " bytes each way in %" G_GUINT64_FORMAT " datagrams",
		       size, net->datagrams);
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
test_ten_mib(void)
{
	transfer(0, 10 * 1024 * 1024);
}

static void
test_lossy(void)
{
	transfer(0.03, 1024 * 1024);
}

static void
test_half_close(void)
{
	Net *net = net_new();
	Server *srv = server_new(FALSE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "svc", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "svc", NULL, &error);
	g_assert_no_error(error);
	write_all(G_IO_STREAM(s), "request");
	g_output_stream_close(g_io_stream_get_output_stream(G_IO_STREAM(s)), NULL, NULL);

	g_assert_true(rc_test_wait_until(check_accepted, srv, "accept", 10));
	GIOStream *peer = g_ptr_array_index(srv->streams, 0);
	Reader *pr = reader_start(peer);
	g_assert_true(rc_test_wait_until(reader_done, pr, "request and EOF at the listener", 10));
	g_assert_no_error(pr->error);
	g_assert_cmpmem(pr->data->data, pr->data->len, "request", 7);

	/* the listener can still answer after the dialer's FIN */
	Reader *r = reader_start(G_IO_STREAM(s));
	write_all(peer, "late reply");
	g_output_stream_close(g_io_stream_get_output_stream(peer), NULL, NULL);
	g_assert_true(rc_test_wait_until(reader_done, r, "reply and EOF at the dialer", 10));
	g_assert_no_error(r->error);
	g_assert_cmpmem(r->data->data, r->data->len, "late reply", 10);
	reader_free(pr);
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
test_finished_connection_closes_after_linger(void)
{
	Net *net = net_new();
	Server *srv = server_new(TRUE);
	RcQuicTimeouts to = { .linger_us = 200 * 1000 };
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "echo", TRUE, &to);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "echo", &to, &error);
	g_assert_no_error(error);
	Reader *r = reader_start(G_IO_STREAM(s));
	g_output_stream_close(g_io_stream_get_output_stream(G_IO_STREAM(s)), NULL, NULL);
	g_assert_true(rc_test_wait_until(reader_done, r, "EOF", 10));
	g_assert_no_error(r->error);
	g_assert_cmpuint(r->data->len, ==, 0);
	reader_free(r);
	guint64 before = net->datagrams;
	/* both FINs acknowledged: the connection ends with "normal close" and
	 * every binding (the dialer's ephemeral service too) goes away */
	g_assert_true(rc_test_wait_until(check_no_conns, lep, "listener connection gone", 10));
	g_assert_true(rc_quic_conn_is_closed(rc_stream_get_conn(s)));
	/* a lingering connection is quiet (keep-alives off, no PING storm) */
	g_assert_cmpuint(net->datagrams - before, <, 20);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static gboolean
check_not_writable(gpointer data)
{
	return !rc_quic_conn_is_writable(data);
}

static void
test_sender_waits_while_transport_full(void)
{
	Net *net = net_new();
	Server *srv = server_new(TRUE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "echo", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);
	g_autoptr(RcStream) s = dial(net, "beta", "echo", NULL, &error);
	g_assert_no_error(error);
	Binding *dialer = g_hash_table_lookup(net->bindings, "alpha:eph0");
	g_assert_nonnull(dialer);

	/* the mesh has no room: the sender fills its bounded buffer and waits,
	 * nothing is handed to the transport (no packet is lost) */
	net->full = TRUE;
	gsize size = 4 * 1024 * 1024;
	g_autoptr(GBytes) payload = pattern(size);
	g_autoptr(GInputStream) src = g_memory_input_stream_new_from_bytes(payload);
	Op op = { 0 };
	Reader *r = reader_start(G_IO_STREAM(s));
	g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(s)), src,
				     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
				     splice_cb, &op);
	g_assert_true(rc_test_wait_until(check_not_writable, rc_stream_get_conn(s),
					 "send buffer full", 10));
	g_assert_cmpuint(net->sent_while_full, ==, 0);
	g_assert_cmpuint(r->data->len, ==, 0);

	/* room again: the transport says so and everything arrives */
	net->full = FALSE;
	rc_quic_endpoint_writable(dialer->ep);
	g_assert_true(rc_test_wait_until(reader_done, r, "echoed payload and EOF", 60));
	g_assert_true(rc_test_wait_until(check_flag, &op.done, "splice end", 10));
	g_assert_no_error(r->error);
	g_assert_cmpuint(r->data->len, ==, size);
	g_assert_true(memcmp(r->data->data, g_bytes_get_data(payload, NULL), size) == 0);
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

/* Go's control service writes its answer and closes the session: FIN after
 * the data, and STOP_SENDING because the dialer never finished its side.
 * Everything written before the close must still arrive, followed by EOF
 * (ngtcp2 0.12's stream_stop_sending callback reports that local
 * shutdown; it once made the sender stop for good). */
static void
test_close_before_peer_fin_delivers_all(void)
{
	Net *net = net_new();
	Server *srv = server_new(FALSE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "svc", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "svc", NULL, &error);
	g_assert_no_error(error);
	write_all(G_IO_STREAM(s), "results please"); /* no FIN from the dialer */
	Reader *r = reader_start(G_IO_STREAM(s));
	g_assert_true(rc_test_wait_until(check_accepted, srv, "accept", 10));
	GIOStream *peer = g_ptr_array_index(srv->streams, 0);

	/* the mesh is full: the answer (less than the send buffer) stays
	 * buffered, and the listener closes both halves meanwhile */
	Binding *listener = g_hash_table_lookup(net->bindings, "beta:svc");
	net->full = TRUE;
	gsize size = 512 * 1024;
	g_autoptr(GBytes) payload = pattern(size);
	g_autoptr(GInputStream) src = g_memory_input_stream_new_from_bytes(payload);
	Op op = { 0 };
	g_output_stream_splice_async(g_io_stream_get_output_stream(peer), src,
				     G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT, NULL, splice_cb,
				     &op);
	g_assert_true(rc_test_wait_until(check_flag, &op.done, "listener wrote everything", 30));
	g_assert_no_error(op.error);
	g_io_stream_close(peer, NULL, NULL);
	net->full = FALSE;
	rc_quic_endpoint_writable(listener->ep);
	g_assert_true(rc_test_wait_until(reader_done, r, "all data and EOF at the dialer", 30));
	g_assert_no_error(r->error);
	g_assert_cmpuint(r->data->len, ==, size);
	g_assert_true(memcmp(r->data->data, g_bytes_get_data(payload, NULL), size) == 0);
	reader_free(r);

	/* the dialer's writes now fail as Go's do after STOP_SENDING (streams.md 3.5) */
	Op wop = { 0 };
	g_autoptr(GBytes) more = pattern(2 * 1024 * 1024);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(s)),
					g_bytes_get_data(more, NULL), g_bytes_get_size(more),
					G_PRIORITY_DEFAULT, NULL, write_all_cb, &wop);
	g_assert_true(rc_test_wait_until(check_flag, &wop.done, "write after STOP_SENDING", 30));
	g_assert_nonnull(wop.error);
	g_assert_cmpstr(wop.error->message, ==, "stream 0 canceled by remote with error code 499");
	g_clear_error(&wop.error);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
test_peer_silent_loss(void)
{
	Net *net = net_new();
	Server *srv = server_new(FALSE);
	RcQuicTimeouts to = { .idle_timeout_us = 1 * G_USEC_PER_SEC,
			      .keepalive_us = 300 * 1000 };
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "svc", TRUE, &to);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "svc", &to, &error);
	g_assert_no_error(error);
	Reader *r = reader_start(G_IO_STREAM(s));
	net->blackhole = TRUE;
	g_assert_true(rc_test_wait_until(reader_done, r, "read error after peer loss", 20));
	g_assert_nonnull(r->error);
	g_assert_cmpstr(r->error->message, ==, "timeout: no recent network activity");
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
test_peer_crash_unreachable(void)
{
	Net *net = net_new();
	Server *srv = server_new(FALSE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "svc", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);

	g_autoptr(RcStream) s = dial(net, "beta", "svc", NULL, &error);
	g_assert_no_error(error);
	Reader *r = reader_start(G_IO_STREAM(s));
	net_crash(net, "beta", "svc");
	g_test_expect_message("receptor-core", G_LOG_LEVEL_WARNING,
			      "remote service svc to node beta is unreachable");
	write_all(G_IO_STREAM(s), "anyone?");
	g_assert_true(rc_test_wait_until(reader_done, r, "read error after the crash", 10));
	g_test_assert_expected_messages();
	g_assert_nonnull(r->error);
	g_assert_cmpstr(r->error->message, ==, "remote service svc to node beta is unreachable");
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

static void
test_dial_unknown_service(void)
{
	Net *net = net_new();
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "svc", TRUE, NULL);

	g_autoptr(RcStream) s = dial(net, "beta", "nosuch", NULL, &error);
	g_assert_null(s);
	g_assert_nonnull(error);
	g_assert_cmpstr(error->message, ==, "context canceled");
	/* the dialer's ephemeral service is gone again */
	g_assert_cmpuint(g_hash_table_size(net->bindings), ==, 1);

	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	net_free(net);
}

static void
test_garbage_ignored(void)
{
	Net *net = net_new();
	Server *srv = server_new(TRUE);
	g_autoptr(GError) error = NULL;
	RcQuicEndpoint *lep = net_endpoint(net, "beta", "echo", TRUE, NULL);
	rc_quic_endpoint_set_accept(lep, accept_cb, srv);
	g_autoptr(GRand) rnd = g_rand_new_with_seed(7);

	/* junk before any connection: random, long-header-looking, short-header */
	for (guint i = 0; i < 300; i++) {
		guint8 buf[1500];
		gsize len = 1 + g_rand_int_range(rnd, 0, sizeof buf);
		for (gsize j = 0; j < len; j++)
			buf[j] = (guint8)g_rand_int(rnd);
		if (i % 3 == 0) {
			buf[0] = 0xc0;
			buf[1] = buf[2] = buf[3] = 0;
			buf[4] = 1; /* version 1 Initial */
			len = MAX(len, 1200);
		}
		rc_quic_endpoint_deliver(lep, "mallory", "junk", buf, len);
	}
	g_autoptr(RcStream) s = dial(net, "beta", "echo", NULL, &error);
	g_assert_no_error(error);
	/* junk aimed at live connections: it cannot decrypt and is dropped */
	for (guint i = 0; i < 300; i++) {
		guint8 buf[1200];
		for (gsize j = 0; j < sizeof buf; j++)
			buf[j] = (guint8)g_rand_int(rnd);
		buf[0] = 0x40;
		rc_quic_endpoint_deliver(lep, "alpha", "eph0", buf, sizeof buf);
	}
	Reader *r = reader_start(G_IO_STREAM(s));
	write_all(G_IO_STREAM(s), "still fine");
	g_output_stream_close(g_io_stream_get_output_stream(G_IO_STREAM(s)), NULL, NULL);
	g_assert_true(rc_test_wait_until(reader_done, r, "echo after garbage", 10));
	g_assert_no_error(r->error);
	g_assert_cmpmem(r->data->data, r->data->len, "still fine", 10);
	g_assert_cmpuint(srv->accepted, ==, 1);
	reader_free(r);

	rc_stream_close_connection(s);
	rc_quic_endpoint_close(lep);
	rc_quic_endpoint_unref(lep);
	g_clear_object(&s);
	server_free(srv);
	net_free(net);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/quic/handshake-then-echo", test_handshake_echo);
	g_test_add_func("/quic/ten-mib-echoed-byte-exact", test_ten_mib);
	g_test_add_func("/quic/one-mib-byte-exact-with-3-percent-loss", test_lossy);
	g_test_add_func("/quic/half-close-keeps-the-other-direction", test_half_close);
	g_test_add_func("/quic/sender-waits-while-the-transport-is-full",
			test_sender_waits_while_transport_full);
	g_test_add_func("/quic/listener-close-before-the-dialer-fin-delivers-everything",
			test_close_before_peer_fin_delivers_all);
	g_test_add_func("/quic/finished-connection-closes-after-linger",
			test_finished_connection_closes_after_linger);
	g_test_add_func("/quic/silent-peer-loss-fails-reads-with-idle-timeout",
			test_peer_silent_loss);
	g_test_add_func("/quic/crashed-peer-service-unknown-fails-stream",
			test_peer_crash_unreachable);
	g_test_add_func("/quic/dial-to-unbound-service-fails-context-canceled",
			test_dial_unknown_service);
	g_test_add_func("/quic/garbage-datagrams-are-ignored", test_garbage_ignored);
	return g_test_run();
}
