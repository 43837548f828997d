/* rc-stream.h: streams over the mesh (streams.md).
 *
 * A mesh stream is the single bidirectional QUIC stream (ID 0) of one QUIC
 * connection carried in Netceptor datagrams between two node:service
 * endpoints (streams.md 1, 3.3).  RcStream is a GIOStream whose input and
 * output streams are pollable, so callers use the ordinary async GIO calls
 * (g_input_stream_read_async, g_output_stream_write_async,
 * g_io_stream_splice_async) with backpressure: writes block (would-block)
 * while the stream's bounded send buffer is full, reads are bounded by the
 * QUIC flow-control window that is only extended as the application reads.
 *
 * Semantics (streams.md 3.5):
 * - closing the output stream sends FIN (half close); the peer reads EOF;
 * - closing the input stream stops reading (STOP_SENDING 499 if the peer
 *   has not finished);
 * - closing the RcStream closes both; the QUIC connection ends when both
 *   directions have finished and everything is acknowledged (after a linger,
 *   streams.md 9), with application code 0 "normal close";
 * - a dead peer, a peer close or a lost route surfaces as a GError on the
 *   next read/write whose message is Go's text (e.g.
 *   "timeout: no recent network activity",
 *   "Application error 0x1f4 (remote): Read Data Error").
 *
 * Everything runs on the thread-default main context of the caller that
 * created the listener or started the dial (the node's main loop).
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ RcStream */

#define RC_TYPE_STREAM (rc_stream_get_type())
G_DECLARE_FINAL_TYPE(RcStream, rc_stream, RC, STREAM, GIOStream)

/* The peer's node ID and service (for a dialled stream the dialled target,
 * for an accepted one the dialer's node and ephemeral service).
 * (transfer none) */
const char *rc_stream_get_remote_node(RcStream *self);
const char *rc_stream_get_remote_service(RcStream *self);
/* Our side's service (the listener's name or the dialer's ephemeral name).
 * (transfer none) */
const char *rc_stream_get_local_service(RcStream *self);

/* Go's CancelRead(): STOP_SENDING with application code 499 (streams.md 3.5).
 * Further reads fail. */
void rc_stream_cancel_read(RcStream *self);

/* Go's CloseConnection(): CONNECTION_CLOSE now with application code 0 and
 * reason "normal close" (streams.md 3.5, 4.12).  Unread received data is lost. */
void rc_stream_close_connection(RcStream *self);

/* -------------------------------------------------------------- listening */

/* A listening mesh service (the opaque RcListener of the plugin ABI). */
typedef struct _RcListener RcStreamListener;

/* Listen for streams on `service` of the local node.
 *
 * service:   1..8 bytes; errors "service name <s> too long",
 *            "service <s> is already listening" (streams.md 1.1, 2.1).
 * tls:       (nullable) name of a tls-server entity for the QUIC handshake;
 *            NULL or "" = the built-in self-signed certificate (streams.md 2.2).
 * advertise: advertise the service (connection type 1 without TLS, 2 with).
 * tags:      (nullable) a{ss} or a{sv} of string tags for the advertisement.
 * accept:    called on the main loop once per accepted stream, after the
 *            stream-initialisation byte (streams.md 2.5).  The callback gets
 *            a (transfer none) GIOStream (an RcStream): g_object_ref it to keep
 *            it.  An unreferenced stream is closed when the callback returns.
 *
 * Returns (transfer full) (nullable) the listener; free it with
 * rc_stream_listener_close(), which also withdraws the advertisement. */
RcStreamListener *rc_stream_listen(RcCore *core, const char *service, const char *tls,
				   gboolean advertise, GVariant *tags, RcStreamAcceptFunc accept,
				   gpointer user_data, GError **error);

/* Stop listening: unbind the service, withdraw the advertisement, end
 * connections still in their accept phase.  Streams already handed to the
 * application stay usable until their peer or the application ends them.
 * Accepts NULL. */
void rc_stream_listener_close(RcStreamListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcStreamListener, rc_stream_listener_close)

/* The listener's service name (transfer none). */
const char *rc_stream_listener_get_service(RcStreamListener *listener);

/* -------------------------------------------------------------- dialling */

/* Dial node:service (node "localhost" = this node) from a fresh ephemeral
 * service.  `tls` (nullable) names a tls-client entity (server certificate
 * checked against `node` as Receptor node ID); NULL/"" = the built-in
 * insecure mode (streams.md 3.2).  Completes when the QUIC handshake is done
 * and the stream-initialisation byte is queued (streams.md 3.1).
 * Error texts are Go's (streams.md 3.4), e.g. "context canceled",
 * "INTERNAL_ERROR (local): no route to node",
 * "timeout: no recent network activity",
 * "CRYPTO_ERROR 0x12a (local): insecure connection to secure service". */
void rc_stream_dial_async(RcCore *core, const char *node, const char *service, const char *tls,
			  GCancellable *cancellable, GAsyncReadyCallback callback,
			  gpointer user_data);
/* (transfer full) (nullable) */
RcStream *rc_stream_dial_finish(GAsyncResult *result, GError **error);

G_END_DECLS
