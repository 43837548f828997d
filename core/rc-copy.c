/* rc-copy.c: a main-loop copy from an input stream into an output stream
 * (see rc-copy.h for why not g_output_stream_splice_async). */
#include "config.h"

#include "rc-copy.h"

#include <string.h>

typedef struct {
	GInputStream *in;
	GOutputStream *out;
	RcCopyFlags flags;
	gint64 total;
	gsize size;
	guint8 *buf;
} Copy;

static void
copy_free(Copy *c)
{
	g_object_unref(c->in);
	g_object_unref(c->out);
	g_free(c->buf);
	g_free(c);
}

static void copy_read(GTask *task);

static void
copy_closed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	Copy *c = g_task_get_task_data(task);
	GError *error = NULL;

	if (!g_output_stream_close_finish(G_OUTPUT_STREAM(source), result, &error))
		g_task_return_error(task, error);
	else
		g_task_return_int(task, (gssize)c->total);
}

static void
copy_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	Copy *c = g_task_get_task_data(task);
	GError *error = NULL;
	gsize written = 0;
	gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, &written,
						       &error);

	c->total += (gint64)written;
	if (!ok) {
		g_task_return_error(task, error);
		return;
	}
	copy_read(g_steal_pointer(&task));
}

static void
copy_write(GTask *task, gsize n)
{
	Copy *c = g_task_get_task_data(task);

	g_output_stream_write_all_async(c->out, c->buf, n, G_PRIORITY_DEFAULT,
					g_task_get_cancellable(task), copy_written, task);
}

static void
copy_read_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	Copy *c = g_task_get_task_data(task);
	GError *error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

	if (n < 0) {
		g_task_return_error(task, error);
		return;
	}
	if (n > 0) {
		copy_write(g_steal_pointer(&task), (gsize)n);
		return;
	}
	if (c->flags & RC_COPY_CLOSE_OUTPUT) {
		GCancellable *cancellable = g_task_get_cancellable(task);
		g_output_stream_close_async(c->out, G_PRIORITY_DEFAULT, cancellable, copy_closed,
					    g_steal_pointer(&task));
		return;
	}
	g_task_return_int(task, (gssize)c->total);
}

/* Takes over the task reference. */
static void
copy_read(GTask *task)
{
	Copy *c = g_task_get_task_data(task);
	GInputStream *in = c->in;

	if (G_IS_BUFFERED_INPUT_STREAM(in)) {
		/* GBufferedInputStream has no read_async of its own (GIO would
		 * read it synchronously in a thread, refilling before it
		 * returns what it holds): hand out its buffer, then read the
		 * base stream asynchronously */
		GBufferedInputStream *bin = G_BUFFERED_INPUT_STREAM(in);
		gsize avail = 0;
		const void *data = g_buffered_input_stream_peek_buffer(bin, &avail);

		if (avail > 0) {
			gsize n = MIN(avail, c->size);
			memcpy(c->buf, data, n);
			/* never blocks: the bytes are in the buffer */
			g_input_stream_skip(in, n, NULL, NULL);
			copy_write(task, n);
			return;
		}
		in = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(in));
	}
	g_input_stream_read_async(in, c->buf, c->size, G_PRIORITY_DEFAULT,
				  g_task_get_cancellable(task), copy_read_done, task);
}

void
rc_copy_async(GInputStream *in, GOutputStream *out, gsize buffer_size, RcCopyFlags flags,
	      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;
	Copy *c;

	g_return_if_fail(G_IS_INPUT_STREAM(in));
	g_return_if_fail(G_IS_OUTPUT_STREAM(out));
	g_return_if_fail(buffer_size > 0 && buffer_size <= G_MAXSSIZE);

	task = g_task_new(NULL, cancellable, callback, user_data);
	c = g_new0(Copy, 1);
	c->in = g_object_ref(in);
	c->out = g_object_ref(out);
	c->flags = flags;
	c->size = buffer_size;
	c->buf = g_malloc(buffer_size);
	g_task_set_source_tag(task, rc_copy_async);
	g_task_set_task_data(task, c, (GDestroyNotify)copy_free);
	copy_read(task);
}

gint64
rc_copy_finish(GAsyncResult *result, gint64 *copied, GError **error)
{
	Copy *c;

	g_return_val_if_fail(g_task_is_valid(result, NULL), -1);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == rc_copy_async, -1);
	c = g_task_get_task_data(G_TASK(result));
	if (copied != NULL)
		*copied = c->total;
	if (g_task_propagate_int(G_TASK(result), error) < 0)
		return -1;
	return c->total;
}

static void
shutdown_closed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;

	if (!g_output_stream_close_finish(G_OUTPUT_STREAM(source), result, &error))
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

void
rc_copy_shutdown_write_async(GIOStream *stream, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;

	g_return_if_fail(G_IS_IO_STREAM(stream));
	task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_copy_shutdown_write_async);
	if (G_IS_SOCKET_CONNECTION(stream)) {
		GSocket *sock = g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
		GError *error = NULL;

		/* shutdown(2) does not block */
		if (!g_socket_shutdown(sock, FALSE, TRUE, &error))
			g_task_return_error(task, error);
		else
			g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_output_stream_close_async(g_io_stream_get_output_stream(stream), G_PRIORITY_DEFAULT,
				    cancellable, shutdown_closed, task);
}

gboolean
rc_copy_shutdown_write_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}
