/* rc-stream.c: RcStream, a GIOStream over stream 0 of an RcQuicConn, and the
 * mesh listen/dial API on top of Netceptor (streams.md 2, 3, 5). */
#include "config.h"

#include "rc-stream.h"

#include <string.h>

#include "rc-stream-private.h"

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
