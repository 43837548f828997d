/* rc-stream.c: RcStream, a GIOStream over stream 0 of an RcQuicConn, and the
 * mesh listen/dial API on top of Netceptor (streams.md 2, 3, 5). */
#include "config.h"

#include "rc-stream.h"

#include <string.h>

#include "rc-entity.h"
#include "rc-host-calls.h"
#include "rc-netceptor.h"
#include "rc-stream-private.h"
#include "rc-tls.h"
#include "rc-wire.h"

/* A GPollableSource made ready by the connection's state.  The readiness
 * source is added as a child without g_pollable_source_new_full's dummy
 * callback, which needs GSourceFuncs.closure_callback. */
static GSource *
pollable_source(gpointer stream, RcQuicConn *conn, GIOCondition cond, GCancellable *cancellable)
{
	GSource *source = g_pollable_source_new_full(stream, NULL, cancellable);
	g_autoptr(GSource) child = rc_quic_conn_create_source(conn, cond);
	g_source_add_child_source(source, child);
	return source;
}

/* ------------------------------------------------------------ input */

#define RC_TYPE_STREAM_INPUT (rc_stream_input_get_type())
G_DECLARE_FINAL_TYPE(RcStreamInput, rc_stream_input, RC, STREAM_INPUT, GInputStream)

struct _RcStreamInput {
	GInputStream parent;
	RcQuicConn *conn;
};

static void rc_stream_input_pollable_iface_init(GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(RcStreamInput, rc_stream_input, G_TYPE_INPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
						    rc_stream_input_pollable_iface_init))

static gssize
rc_stream_input_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
		     GError **error)
{
	RcStreamInput *self = RC_STREAM_INPUT(stream);
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	/* never blocks: the loop is single-threaded (callers use the async API) */
	return rc_quic_conn_recv(self->conn, buffer, count, error);
}

static gboolean
rc_stream_input_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	rc_quic_conn_shutdown_read(RC_STREAM_INPUT(stream)->conn);
	return TRUE;
}

/* Close without GIO's worker thread (our close never blocks). */
static void
rc_stream_input_close_async(GInputStream *stream, int io_priority, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_stream_input_close_async);
	rc_quic_conn_shutdown_read(RC_STREAM_INPUT(stream)->conn);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_stream_input_close_finish(GInputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static gboolean
rc_stream_input_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
rc_stream_input_is_readable(GPollableInputStream *stream)
{
	return rc_quic_conn_is_readable(RC_STREAM_INPUT(stream)->conn);
}

static GSource *
rc_stream_input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	return pollable_source(stream, RC_STREAM_INPUT(stream)->conn, G_IO_IN, cancellable);
}

static gssize
rc_stream_input_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
				 GError **error)
{
	return rc_quic_conn_recv(RC_STREAM_INPUT(stream)->conn, buffer, count, error);
}

static void
rc_stream_input_pollable_iface_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_stream_input_can_poll;
	iface->is_readable = rc_stream_input_is_readable;
	iface->create_source = rc_stream_input_create_source;
	iface->read_nonblocking = rc_stream_input_read_nonblocking;
}

static void
rc_stream_input_finalize(GObject *object)
{
	RcStreamInput *self = RC_STREAM_INPUT(object);
	g_clear_pointer(&self->conn, rc_quic_conn_unref);
	G_OBJECT_CLASS(rc_stream_input_parent_class)->finalize(object);
}

static void
rc_stream_input_class_init(RcStreamInputClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GInputStreamClass *input_class = G_INPUT_STREAM_CLASS(klass);
	object_class->finalize = rc_stream_input_finalize;
	input_class->read_fn = rc_stream_input_read;
	input_class->close_fn = rc_stream_input_close;
	input_class->close_async = rc_stream_input_close_async;
	input_class->close_finish = rc_stream_input_close_finish;
}

static void
rc_stream_input_init(RcStreamInput *self)
{
}

/* ------------------------------------------------------------ output */

#define RC_TYPE_STREAM_OUTPUT (rc_stream_output_get_type())
G_DECLARE_FINAL_TYPE(RcStreamOutput, rc_stream_output, RC, STREAM_OUTPUT, GOutputStream)

struct _RcStreamOutput {
	GOutputStream parent;
	RcQuicConn *conn;
};

static void rc_stream_output_pollable_iface_init(GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(RcStreamOutput, rc_stream_output, G_TYPE_OUTPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
						    rc_stream_output_pollable_iface_init))

static gssize
rc_stream_output_write(GOutputStream *stream, const void *buffer, gsize count,
		       GCancellable *cancellable, GError **error)
{
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	return rc_quic_conn_send(RC_STREAM_OUTPUT(stream)->conn, buffer, count, error);
}

static gboolean
rc_stream_output_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	rc_quic_conn_shutdown_write(RC_STREAM_OUTPUT(stream)->conn);
	return TRUE;
}

static void
rc_stream_output_close_async(GOutputStream *stream, int io_priority, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_stream_output_close_async);
	rc_quic_conn_shutdown_write(RC_STREAM_OUTPUT(stream)->conn);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_stream_output_close_finish(GOutputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
rc_stream_output_flush_async(GOutputStream *stream, int io_priority, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_stream_output_flush_async);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_stream_output_flush_finish(GOutputStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static gboolean
rc_stream_output_can_poll(GPollableOutputStream *stream)
{
	return TRUE;
}

static gboolean
rc_stream_output_is_writable(GPollableOutputStream *stream)
{
	return rc_quic_conn_is_writable(RC_STREAM_OUTPUT(stream)->conn);
}

static GSource *
rc_stream_output_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	return pollable_source(stream, RC_STREAM_OUTPUT(stream)->conn, G_IO_OUT, cancellable);
}

static gssize
rc_stream_output_write_nonblocking(GPollableOutputStream *stream, const void *buffer,
				   gsize count, GError **error)
{
	return rc_quic_conn_send(RC_STREAM_OUTPUT(stream)->conn, buffer, count, error);
}

static void
rc_stream_output_pollable_iface_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = rc_stream_output_can_poll;
	iface->is_writable = rc_stream_output_is_writable;
	iface->create_source = rc_stream_output_create_source;
	iface->write_nonblocking = rc_stream_output_write_nonblocking;
}

static void
rc_stream_output_finalize(GObject *object)
{
	RcStreamOutput *self = RC_STREAM_OUTPUT(object);
	g_clear_pointer(&self->conn, rc_quic_conn_unref);
	G_OBJECT_CLASS(rc_stream_output_parent_class)->finalize(object);
}

static void
rc_stream_output_class_init(RcStreamOutputClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS(klass);
	object_class->finalize = rc_stream_output_finalize;
	output_class->write_fn = rc_stream_output_write;
	output_class->close_fn = rc_stream_output_close;
	output_class->close_async = rc_stream_output_close_async;
	output_class->close_finish = rc_stream_output_close_finish;
	output_class->flush_async = rc_stream_output_flush_async;
	output_class->flush_finish = rc_stream_output_flush_finish;
}

static void
rc_stream_output_init(RcStreamOutput *self)
{
}

/* ------------------------------------------------------------ RcStream */

struct _RcStream {
	GIOStream parent;
	RcQuicConn *conn;
	RcStreamInput *input;
	RcStreamOutput *output;
};

G_DEFINE_FINAL_TYPE(RcStream, rc_stream, G_TYPE_IO_STREAM)

static GInputStream *
rc_stream_get_input_stream(GIOStream *stream)
{
	return G_INPUT_STREAM(RC_STREAM(stream)->input);
}

static GOutputStream *
rc_stream_get_output_stream(GIOStream *stream)
{
	return G_OUTPUT_STREAM(RC_STREAM(stream)->output);
}

static gboolean
rc_stream_close_both(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	RcStream *self = RC_STREAM(stream);
	/* mark the halves closed for GIO too (their close_fn does the work) */
	g_output_stream_close(G_OUTPUT_STREAM(self->output), NULL, NULL);
	g_input_stream_close(G_INPUT_STREAM(self->input), NULL, NULL);
	return TRUE;
}

static void
rc_stream_close_async(GIOStream *stream, int io_priority, GCancellable *cancellable,
		      GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_stream_close_async);
	rc_stream_close_both(stream, NULL, NULL);
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_stream_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
rc_stream_finalize(GObject *object)
{
	RcStream *self = RC_STREAM(object);
	g_clear_object(&self->input);
	g_clear_object(&self->output);
	g_clear_pointer(&self->conn, rc_quic_conn_unref);
	G_OBJECT_CLASS(rc_stream_parent_class)->finalize(object);
}

static void
rc_stream_class_init(RcStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GIOStreamClass *io_class = G_IO_STREAM_CLASS(klass);
	object_class->finalize = rc_stream_finalize;
	io_class->get_input_stream = rc_stream_get_input_stream;
	io_class->get_output_stream = rc_stream_get_output_stream;
	io_class->close_fn = rc_stream_close_both;
	io_class->close_async = rc_stream_close_async;
	io_class->close_finish = rc_stream_close_finish;
}

static void
rc_stream_init(RcStream *self)
{
}

RcStream *
rc_stream_new_for_conn(RcQuicConn *conn)
{
	g_return_val_if_fail(conn != NULL, NULL);
	RcStream *self = g_object_new(RC_TYPE_STREAM, NULL);
	self->conn = rc_quic_conn_ref(conn);
	self->input = g_object_new(RC_TYPE_STREAM_INPUT, NULL);
	self->input->conn = rc_quic_conn_ref(conn);
	self->output = g_object_new(RC_TYPE_STREAM_OUTPUT, NULL);
	self->output->conn = rc_quic_conn_ref(conn);
	return self;
}

RcQuicConn *
rc_stream_get_conn(RcStream *self)
{
	g_return_val_if_fail(RC_IS_STREAM(self), NULL);
	return self->conn;
}

const char *
rc_stream_get_remote_node(RcStream *self)
{
	g_return_val_if_fail(RC_IS_STREAM(self), NULL);
	return rc_quic_conn_get_remote_node(self->conn);
}

const char *
rc_stream_get_remote_service(RcStream *self)
{
	g_return_val_if_fail(RC_IS_STREAM(self), NULL);
	return rc_quic_conn_get_remote_service(self->conn);
}

const char *
rc_stream_get_local_service(RcStream *self)
{
	g_return_val_if_fail(RC_IS_STREAM(self), NULL);
	return rc_quic_conn_get_local_service(self->conn);
}

void
rc_stream_cancel_read(RcStream *self)
{
	g_return_if_fail(RC_IS_STREAM(self));
	rc_quic_conn_shutdown_read(self->conn);
}

void
rc_stream_close_connection(RcStream *self)
{
	g_return_if_fail(RC_IS_STREAM(self));
	rc_quic_conn_close(self->conn);
}

/* ------------------------------------------------------------ mesh transport */

/* One bound Netceptor service carrying an endpoint's datagrams. */
typedef struct {
	RcMeshService *ms;
	RcQuicEndpoint *ep; /* borrowed: the endpoint owns this transport */
} MeshTransport;

static gboolean
mesh_send(gpointer data, const char *node, const char *service, const guint8 *buf, gsize len,
	  GError **error)
{
	MeshTransport *t = data;
	g_autoptr(GBytes) payload = g_bytes_new(buf, len);
	return rc_mesh_service_send(t->ms, node, service, payload, error);
}

static gboolean
mesh_can_send(gpointer data, const char *node, gsize len)
{
	MeshTransport *t = data;
	return rc_mesh_service_can_send(t->ms, node, len);
}

static void
mesh_writable(RcMeshService *service, gpointer user_data)
{
	MeshTransport *t = user_data;
	if (t->ep != NULL)
		rc_quic_endpoint_writable(t->ep);
}

static void
mesh_close(gpointer data)
{
	MeshTransport *t = data;
	g_clear_pointer(&t->ms, rc_mesh_service_unbind);
	g_free(t);
}

static const RcQuicTransportOps mesh_ops = {
	.send = mesh_send,
	.close = mesh_close,
	.can_send = mesh_can_send,
};

static void
mesh_recv(RcMeshService *service, const char *from_node, const char *from_service,
	  GBytes *payload, gpointer user_data)
{
	MeshTransport *t = user_data;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(payload, &len);
	/* Netceptor delivers from its own main-loop dispatch: process at once */
	if (t->ep != NULL)
		rc_quic_endpoint_receive(t->ep, from_node, from_service, data, len);
}

static void
mesh_unreachable(RcMeshService *service, const char *reporter, const char *to_node,
		 const char *to_service, const char *problem, gpointer user_data)
{
	MeshTransport *t = user_data;
	if (t->ep != NULL)
		rc_quic_endpoint_unreachable(t->ep, to_node, to_service, problem);
}

/* Named TLS (streams.md 5) through rc-tls.  `expected` overrides the peer
 * name a client checks (the dial target as typed, so "localhost" stays
 * "localhost" as in Go, streams.md 5). */
typedef struct {
	RcTlsStore *store; /* borrowed from the core */
	char *name;
	char *expected;
} MeshTls;

static gboolean
mesh_tls_setup(gpointer data, gnutls_session_t session, gboolean server, const char *peer_node,
	       gpointer *session_state, GError **error)
{
	MeshTls *t = data;
	RcTlsVerify *v = rc_tls_setup_session(t->store, t->name, server, session,
					      server || t->expected == NULL ? peer_node : t->expected,
					      error);
	if (v == NULL)
		return FALSE;
	*session_state = v;
	return TRUE;
}

static const char *
mesh_tls_verify_error(gpointer session_state)
{
	return rc_tls_verify_get_error(session_state);
}

static void
mesh_tls_session_free(gpointer session_state)
{
	rc_tls_verify_free(session_state);
}

static void
mesh_tls_free(gpointer data)
{
	MeshTls *t = data;
	g_free(t->name);
	g_free(t->expected);
	g_free(t);
}

static const RcQuicTlsOps mesh_tls_ops = {
	.setup = mesh_tls_setup,
	.verify_error = mesh_tls_verify_error,
	.session_free = mesh_tls_session_free,
	.free = mesh_tls_free,
};

/* Bind `service` (NULL = ephemeral) and put an endpoint on it. */
static RcQuicEndpoint *
mesh_endpoint_new(RcCore *core, const char *service, gboolean listen, const char *tls,
		  const char *expected, RcMeshService **out_ms, GError **error)
{
	RcNetceptor *nc = rc_netceptor_ensure(core, error);
	MeshTls *mt = NULL;

	if (nc == NULL)
		return NULL;
	if (tls != NULL && tls[0] != '\0') {
		RcTlsStore *store = rc_tls_store_get(core);
		if (!rc_tls_store_check(store, tls, listen, error))
			return NULL;
		mt = g_new0(MeshTls, 1);
		mt->store = store;
		mt->name = g_strdup(tls);
		mt->expected = g_strdup(expected);
	}
	MeshTransport *t = g_new0(MeshTransport, 1);
	t->ms = rc_netceptor_bind(nc, service, mesh_recv, t, error);
	if (t->ms == NULL) {
		g_free(t);
		if (mt != NULL)
			mesh_tls_free(mt);
		return NULL;
	}
	RcQuicEndpoint *ep = rc_quic_endpoint_new(
	    rc_netceptor_get_node_id(nc), rc_mesh_service_get_name(t->ms), listen, &mesh_ops, t,
	    mt != NULL ? &mesh_tls_ops : NULL, mt, NULL, error);
	if (ep == NULL) {
		mesh_close(t);
		if (mt != NULL)
			mesh_tls_free(mt);
		return NULL;
	}
	t->ep = ep;
	rc_mesh_service_set_unreachable_func(t->ms, mesh_unreachable, t);
	rc_mesh_service_set_writable_func(t->ms, mesh_writable, t);
	if (out_ms != NULL)
		*out_ms = t->ms;
	return ep;
}

/* ------------------------------------------------------------ listen */

struct _RcListener {
	RcQuicEndpoint *ep;
	char *service;
	RcStreamAcceptFunc accept;
	gpointer user_data;
};

static void
listener_accept(gpointer user_data, RcQuicConn *conn)
{
	RcStreamListener *l = user_data;
	g_autoptr(RcStream) stream = rc_stream_new_for_conn(conn);
	/* an unreferenced stream is closed (FIN both ways) when disposed */
	l->accept(l->user_data, G_IO_STREAM(stream), rc_quic_conn_get_remote_node(conn),
		  rc_quic_conn_get_remote_service(conn));
}

RcStreamListener *
rc_stream_listen(RcCore *core, const char *service, const char *tls, gboolean advertise,
		 GVariant *tags, RcStreamAcceptFunc accept, gpointer user_data, GError **error)
{
	RcMeshService *ms = NULL;

	g_return_val_if_fail(core != NULL && accept != NULL, NULL);
	RcQuicEndpoint *ep = mesh_endpoint_new(core, service, TRUE, tls, NULL, &ms, error);
	if (ep == NULL)
		return NULL;
	RcStreamListener *l = g_new0(RcStreamListener, 1);
	l->ep = ep;
	l->service = g_strdup(rc_quic_endpoint_get_service(ep));
	l->accept = accept;
	l->user_data = user_data;
	rc_quic_endpoint_set_accept(ep, listener_accept, l);
	if (advertise)
		rc_mesh_service_advertise(ms,
					  tls != NULL && tls[0] != '\0' ? RC_CONN_TYPE_STREAM_TLS
									: RC_CONN_TYPE_STREAM,
					  tags);
	return l;
}

void
rc_stream_listener_close(RcStreamListener *l)
{
	if (l == NULL)
		return;
	rc_quic_endpoint_set_accept(l->ep, NULL, NULL);
	rc_quic_endpoint_close(l->ep); /* unbinds: withdraws the advertisement */
	rc_quic_endpoint_unref(l->ep);
	g_free(l->service);
	g_free(l);
}

const char *
rc_stream_listener_get_service(RcStreamListener *l)
{
	return l->service;
}

/* ------------------------------------------------------------ dial */

static void
stream_dial_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	g_autoptr(RcQuicConn) conn = rc_quic_dial_finish(res, &error);
	if (conn == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, rc_stream_new_for_conn(conn), g_object_unref);
}

void
rc_stream_dial_async(RcCore *core, const char *node, const char *service, const char *tls,
		     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;

	g_task_set_source_tag(task, rc_stream_dial_async);
	g_return_if_fail(core != NULL && node != NULL && service != NULL);
	RcQuicEndpoint *ep = mesh_endpoint_new(core, NULL, FALSE, tls, node, NULL, &error);
	if (ep == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	/* "localhost" is this node (streams.md 1.2, pitfall 18) */
	const char *target = g_ascii_strcasecmp(node, "localhost") == 0
				 ? rc_netceptor_get_node_id(core->netceptor)
				 : node;
	rc_quic_dial_async(ep, target, service, cancellable, stream_dial_done,
			   g_steal_pointer(&task));
	rc_quic_endpoint_unref(ep); /* the dial owns it now */
}

RcStream *
rc_stream_dial_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* ------------------------------------------------------------ RcHost calls */

RcListener *
rc_host_mesh_listen(RcEntity *entity, const char *service, const char *tls, GVariant *tags,
		    RcStreamAcceptFunc accept, gpointer user_data, GError **error)
{
	return rc_stream_listen(entity->core, service, tls, TRUE, tags, accept, user_data, error);
}

void
rc_host_mesh_unlisten(RcListener *listener)
{
	rc_stream_listener_close(listener);
}

void
rc_host_mesh_dial_async(RcEntity *entity, const char *node, const char *service,
			const char *tls, GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data)
{
	rc_stream_dial_async(entity->core, node, service, tls, cancellable, callback, user_data);
}

GIOStream *
rc_host_mesh_dial_finish(RcEntity *entity, GAsyncResult *result, GError **error)
{
	return G_IO_STREAM(rc_stream_dial_finish(result, error));
}

/* ------------------------------------------------------------ mesh datagram sockets */

struct _RcMeshSocket {
	RcMeshService *ms;
	RcMeshDatagramFunc recv;
	gpointer user_data;
};

static void
mesh_socket_recv(RcMeshService *service, const char *from_node, const char *from_service,
		 GBytes *payload, gpointer user_data)
{
	RcMeshSocket *sock = user_data;
	if (sock->recv != NULL)
		sock->recv(sock->user_data, from_node, from_service, payload);
}

RcMeshSocket *
rc_host_mesh_socket_bind(RcEntity *entity, const char *service, GVariant *tags,
			 RcMeshDatagramFunc recv, gpointer user_data, GError **error)
{
	g_autoptr(GVariant) owned_tags = tags != NULL ? g_variant_ref_sink(tags) : NULL;
	RcNetceptor *nc = rc_netceptor_ensure(entity->core, error);
	if (nc == NULL)
		return NULL;
	RcMeshSocket *sock = g_new0(RcMeshSocket, 1);
	sock->recv = recv;
	sock->user_data = user_data;
	sock->ms = rc_netceptor_bind(nc, service, mesh_socket_recv, sock, error);
	if (sock->ms == NULL) {
		g_free(sock);
		return NULL;
	}
	if (owned_tags != NULL)
		rc_mesh_service_advertise(sock->ms, RC_CONN_TYPE_DATAGRAM, owned_tags);
	return sock;
}

const char *
rc_host_mesh_socket_get_service(RcMeshSocket *sock)
{
	g_return_val_if_fail(sock != NULL, NULL);
	return rc_mesh_service_get_name(sock->ms);
}

gboolean
rc_host_mesh_socket_send(RcMeshSocket *sock, const char *node, const char *service,
			 GBytes *payload, GError **error)
{
	g_return_val_if_fail(sock != NULL, FALSE);
	return rc_mesh_service_send(sock->ms, node, service, payload, error);
}

void
rc_host_mesh_socket_close(RcMeshSocket *sock)
{
	if (sock == NULL)
		return;
	rc_mesh_service_unbind(sock->ms);
	g_free(sock);
}
