/* ws-head.c: bounded, byte-exact read of an HTTP head (see ws-head.h). */
#include "ws-head.h"

#include "ws-common.h"

typedef struct {
	GInputStream *input;
	GByteArray *buffer;
	gsize max_bytes;
	guint8 byte;
	GCancellable *cancellable; /* ours: cancelled by the timer or the caller's */
	GCancellable *caller;
	gulong caller_handler;
	GSource *timer;
	gboolean timed_out;
} WsHeadRead;

static void
ws_head_read_free(WsHeadRead *state)
{
	if (state->timer != NULL) {
		g_source_destroy(state->timer);
		g_source_unref(state->timer);
	}
	if (state->caller != NULL) {
		g_cancellable_disconnect(state->caller, state->caller_handler);
		g_object_unref(state->caller);
	}
	g_clear_object(&state->cancellable);
	g_clear_object(&state->input);
	g_byte_array_unref(state->buffer);
	g_free(state);
}

static void ws_head_read_next(GTask *task);

static void
ws_head_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	WsHeadRead *state = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	gssize n;

	n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n < 0) {
		if (state->timed_out)
			g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
						"i/o timeout");
		else
			g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (n == 0) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
					"unexpected EOF");
		return;
	}
	g_byte_array_append(state->buffer, &state->byte, 1);
	if (state->buffer->len >= 4 && ws_head_end(state->buffer->data + state->buffer->len - 4,
						   4) == 4) {
		g_task_return_pointer(task,
				      g_bytes_new(state->buffer->data, state->buffer->len),
				      (GDestroyNotify)g_bytes_unref);
		return;
	}
	if (state->buffer->len >= state->max_bytes) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
					"HTTP head larger than %" G_GSIZE_FORMAT " bytes",
					state->max_bytes);
		return;
	}
	ws_head_read_next(g_steal_pointer(&task));
}

static void
ws_head_read_next(GTask *task)
{
	WsHeadRead *state = g_task_get_task_data(task);

	g_input_stream_read_async(state->input, &state->byte, 1, G_PRIORITY_DEFAULT,
				  state->cancellable, ws_head_read_done, task);
}

static gboolean
ws_head_timeout_cb(gpointer user_data)
{
	WsHeadRead *state = user_data;

	state->timed_out = TRUE;
	g_clear_pointer(&state->timer, g_source_unref);
	g_cancellable_cancel(state->cancellable);
	return G_SOURCE_REMOVE;
}

static void
ws_head_caller_cancelled(GCancellable *caller, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

void
ws_head_read_async(GIOStream *stream, gsize max_bytes, guint timeout_ms,
		   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(stream, NULL, callback, user_data);
	WsHeadRead *state = g_new0(WsHeadRead, 1);

	g_task_set_source_tag(task, ws_head_read_async);
	state->input = g_object_ref(g_io_stream_get_input_stream(stream));
	state->buffer = g_byte_array_sized_new(256);
	state->max_bytes = max_bytes;
	state->cancellable = g_cancellable_new();
	if (cancellable != NULL) {
		state->caller = g_object_ref(cancellable);
		state->caller_handler =
			g_cancellable_connect(cancellable, G_CALLBACK(ws_head_caller_cancelled),
					      g_object_ref(state->cancellable), g_object_unref);
	}
	if (timeout_ms > 0) {
		state->timer = g_timeout_source_new(timeout_ms);
		g_source_set_callback(state->timer, ws_head_timeout_cb, state, NULL);
		g_source_attach(state->timer, NULL);
	}
	g_task_set_task_data(task, state, (GDestroyNotify)ws_head_read_free);
	ws_head_read_next(task);
}

GBytes *
ws_head_read_finish(GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}
