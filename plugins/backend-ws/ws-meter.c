/* ws-meter.c: byte-counting pollable output stream (see ws-meter.h). */
#include "ws-meter.h"

struct _WsMeter {
	GFilterOutputStream parent_instance;
	guint64 written;
	WsMeterFunc func;
	gpointer user_data;
};

static void ws_meter_pollable_iface_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(WsMeter, ws_meter, G_TYPE_FILTER_OUTPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
					      ws_meter_pollable_iface_init))

static GOutputStream *
ws_meter_base(gpointer self)
{
	return g_filter_output_stream_get_base_stream(G_FILTER_OUTPUT_STREAM(self));
}

static void
ws_meter_note(WsMeter *self, gssize n)
{
	if (n <= 0)
		return;
	self->written += (guint64)n;
	if (self->func != NULL)
		self->func(self->user_data, (gsize)n);
}

static gssize
ws_meter_write(GOutputStream *stream, const void *buffer, gsize count,
	       GCancellable *cancellable, GError **error)
{
	gssize n = g_output_stream_write(ws_meter_base(stream), buffer, count, cancellable, error);

	ws_meter_note(WS_METER(stream), n);
	return n;
}

static gboolean
ws_meter_flush(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	return g_output_stream_flush(ws_meter_base(stream), cancellable, error);
}

static gboolean
ws_meter_can_poll(GPollableOutputStream *stream)
{
	GOutputStream *base = ws_meter_base(stream);

	return G_IS_POLLABLE_OUTPUT_STREAM(base) &&
	       g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(base));
}

static gboolean
ws_meter_is_writable(GPollableOutputStream *stream)
{
	return g_pollable_output_stream_is_writable(
		G_POLLABLE_OUTPUT_STREAM(ws_meter_base(stream)));
}

static GSource *
ws_meter_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	g_autoptr(GSource) base_source = g_pollable_output_stream_create_source(
		G_POLLABLE_OUTPUT_STREAM(ws_meter_base(stream)), NULL);

	return g_pollable_source_new_full(stream, base_source, cancellable);
}

static gssize
ws_meter_write_nonblocking(GPollableOutputStream *stream, const void *buffer, gsize count,
			   GError **error)
{
	gssize n = g_pollable_output_stream_write_nonblocking(
		G_POLLABLE_OUTPUT_STREAM(ws_meter_base(stream)), buffer, count, NULL, error);

	ws_meter_note(WS_METER(stream), n);
	return n;
}

static void
ws_meter_pollable_iface_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = ws_meter_can_poll;
	iface->is_writable = ws_meter_is_writable;
	iface->create_source = ws_meter_create_source;
	iface->write_nonblocking = ws_meter_write_nonblocking;
}

static void
ws_meter_class_init(WsMeterClass *klass)
{
	GOutputStreamClass *ostream_class = G_OUTPUT_STREAM_CLASS(klass);

	ostream_class->write_fn = ws_meter_write;
	ostream_class->flush = ws_meter_flush;
}

static void
ws_meter_init(WsMeter *self)
{
}

GOutputStream *
ws_meter_new(GOutputStream *base, WsMeterFunc func, gpointer user_data)
{
	WsMeter *self = g_object_new(WS_TYPE_METER, "base-stream", base, "close-base-stream",
				     FALSE, NULL);

	self->func = func;
	self->user_data = user_data;
	return G_OUTPUT_STREAM(self);
}

void
ws_meter_detach(WsMeter *meter)
{
	meter->func = NULL;
	meter->user_data = NULL;
}

guint64
ws_meter_get_written(WsMeter *meter)
{
	return meter->written;
}
