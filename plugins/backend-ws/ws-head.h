/* ws-head.h: read one HTTP head ("...\r\n\r\n") from a stream without reading
 * a byte past it, so the WebSocket frames that follow the upgrade stay in the
 * stream for libsoup.  Bounded in size and time (STYLE 4). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

/* Read until "\r\n\r\n".  Fails with G_IO_ERROR_MESSAGE_TOO_LARGE past
 * `max_bytes`, G_IO_ERROR_TIMED_OUT after `timeout_ms` (0: none),
 * G_IO_ERROR_CONNECTION_CLOSED at end of stream. */
void ws_head_read_async(GIOStream *stream, gsize max_bytes, guint timeout_ms,
			GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data);
/* (transfer full) the head including the final "\r\n\r\n" */
GBytes *ws_head_read_finish(GAsyncResult *result, GError **error);
