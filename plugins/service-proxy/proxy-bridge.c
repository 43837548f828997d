/* proxy-bridge.c: the two copy loops of a proxy session (streams.md 7.1). */
#include "proxy-bridge.h"

#include "receptor/receptor-plugin.h"

/* Go NormalBufferSize (streams.md 7.1, 8). */
#define PROXY_BUFFER_SIZE 65536

typedef struct _Bridge Bridge;

typedef struct {
	Bridge *bridge;
	GIOStream *from;
	GIOStream *to;
	char *from_name;
	guint8 buf[PROXY_BUFFER_SIZE];
	gboolean done;
} Direction;

struct _Bridge {
	GIOStream *a;
	GIOStream *b;
	GCancellable *cancellable;
	Direction ab;
	Direction ba;
};

static void direction_read(Direction *d);

static void
bridge_maybe_free(Bridge *br)
{
	if (!br->ab.done || !br->ba.done)
		return;
	g_io_stream_close(br->a, NULL, NULL);
	g_io_stream_close(br->b, NULL, NULL);
	g_object_unref(br->a);
	g_object_unref(br->b);
	g_object_unref(br->cancellable);
	g_free(br->ab.from_name);
	g_free(br->ba.from_name);
	g_free(br);
}

/* Half close: FIN on mesh streams, SHUT_WR on sockets. */
static void
half_close(GIOStream *stream)
{
	if (G_IS_SOCKET_CONNECTION(stream)) {
		GSocket *sock = g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
		g_socket_shutdown(sock, FALSE, TRUE, NULL);
		return;
	}
	g_output_stream_close(g_io_stream_get_output_stream(stream), NULL, NULL);
}

static void
direction_end(Direction *d, const GError *error)
{
	Bridge *br = d->bridge;
	d->done = TRUE;
	if (error != NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
		rc_log_debug("Connection read/write error (%s): %s", d->from_name, error->message);
		/* an error ends the whole session */
		g_cancellable_cancel(br->cancellable);
	} else if (error == NULL) {
		half_close(d->to);
	}
	bridge_maybe_free(br);
}

static void
direction_written(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Direction *d = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error)) {
		direction_end(d, error);
		return;
	}
	direction_read(d);
}

static void
direction_readed(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Direction *d = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &error);
	if (n <= 0) {
		direction_end(d, error);
		return;
	}
	g_output_stream_write_all_async(g_io_stream_get_output_stream(d->to), d->buf, (gsize)n,
					G_PRIORITY_DEFAULT, d->bridge->cancellable,
					direction_written, d);
}

static void
direction_read(Direction *d)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(d->from), d->buf, sizeof d->buf,
				  G_PRIORITY_DEFAULT, d->bridge->cancellable, direction_readed, d);
}

void
proxy_bridge(GIOStream *a, const char *name_a, GIOStream *b, const char *name_b)
{
	Bridge *br = g_new0(Bridge, 1);
	br->a = g_object_ref(a);
	br->b = g_object_ref(b);
	br->cancellable = g_cancellable_new();
	br->ab.bridge = br;
	br->ab.from = a;
	br->ab.to = b;
	br->ab.from_name = g_strdup(name_a);
	br->ba.bridge = br;
	br->ba.from = b;
	br->ba.to = a;
	br->ba.from_name = g_strdup(name_b);
	direction_read(&br->ab);
	direction_read(&br->ba);
}

char *
proxy_param_string(GVariant *params, const char *key)
{
	const char *v = NULL;
	if (g_variant_lookup(params, key, "&s", &v) && v[0] != '\0')
		return g_strdup(v);
	return NULL;
}
