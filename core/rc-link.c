/* rc-link.c: one backend session running the Netceptor link protocol (wire.md 5, 9.4). */
#include "rc-link.h"
#include "rc-tls.h"

#include <string.h>

#include "rc-entity.h"
#include "rc-netceptor-private.h"
#include "rc-netceptor.h"
#include "rc-wire.h"

typedef enum {
	RC_LINK_CONNECTING = 0,
	RC_LINK_ESTABLISHED = 1,
	RC_LINK_CLOSING = 2, /* reject queued, waiting for it to be written */
	RC_LINK_CLOSED = 3
} RcLinkState;

typedef struct {
	GBytes *message;
	guint8 header[2];
} RcLinkFrame;

struct _RcLink {
	gint refcount;
	RcNetceptor *nc;
	RcEntity *entity;
	char *peer;

	/* transport: exactly one of stream / ops */
	GIOStream *stream;
	GIOStream *transport; /* message backends: the stream under the session (TLS checks) */
	const RcLinkOps *ops;
	gpointer link_data;
	RcLinkEndedFunc ended;
	gpointer ended_data;
	GCancellable *cancellable;

	/* stream framing (wire.md 9.4): one fixed buffer */
	guint8 *rbuf;
	gsize rlen;
	GQueue sendq; /* RcLinkFrame* */
	gsize sendq_bytes;
	gboolean writing;
	guint inflight; /* frames of the head of sendq being written */
	GOutputVector wvec[RC_LINK_WRITE_BATCH * 2];
	gboolean send_full; /* message backend said FULL */
	gsize max_message;
	/* data flow control (rc-link.h) */
	gboolean want_drained;   /* refused or over-queued data: report when below LOW */
	GPtrArray *paused_links; /* RcLink* (refs) paused because of this queue */
	gboolean read_paused;
	gboolean read_stalled;   /* a read is owed once resumed */
	guint pause_source;

	/* protocol state (wire.md 5) */
	RcLinkState state;
	gboolean remote_established;
	char *remote_node;
	double cost;
	GVariant *nodecost;   /* nullable a{sd} */
	GVariant *allowed;    /* nullable as: present means "only these" */
	gint64 last_received_us;
	guint init_source;
	guint init_sends;
	guint flush_source;
	GError *end_reason;
	gboolean ended_called;
};

static RcLink *
rc_link_ref(RcLink *link)
{
	link->refcount++;
	return link;
}

static void rc_link_write_next(RcLink *link);
static void rc_link_release_paused(RcLink *link);

static void
rc_link_frame_free(RcLinkFrame *frame)
{
	g_bytes_unref(frame->message);
	g_free(frame);
}

static void
rc_link_unref(RcLink *link)
{
	if (--link->refcount > 0)
		return;
	g_queue_clear_full(&link->sendq, (GDestroyNotify)rc_link_frame_free);
	g_clear_pointer(&link->paused_links, g_ptr_array_unref);
	g_clear_object(&link->stream);
	g_clear_object(&link->transport);
	g_clear_object(&link->cancellable);
	g_clear_pointer(&link->nodecost, g_variant_unref);
	g_clear_pointer(&link->allowed, g_variant_unref);
	g_clear_error(&link->end_reason);
	g_free(link->rbuf);
	g_free(link->remote_node);
	g_free(link->peer);
	g_free(link);
}

/* ------------------------------------------------------------------ accessors */

gboolean
rc_link_is_established(RcLink *link)
{
	return link->state == RC_LINK_ESTABLISHED;
}

const char *
rc_link_get_remote_node(RcLink *link)
{
	return link->remote_node;
}

const char *
rc_link_get_peer(RcLink *link)
{
	return link->peer;
}

double
rc_link_get_cost(RcLink *link)
{
	return link->cost;
}

gint64
rc_link_get_last_received_us(RcLink *link)
{
	return link->last_received_us;
}

/* ------------------------------------------------------------------ flow control */

static void rc_link_read_next(RcLink *link);

/* Resume every link paused because of this one's queue. */
static void
rc_link_release_paused(RcLink *link)
{
	g_autoptr(GPtrArray) paused = g_steal_pointer(&link->paused_links);

	for (guint i = 0; paused != NULL && i < paused->len; i++)
		rc_link_resume_reading(paused->pdata[i]);
}

static void
rc_link_check_drained(RcLink *link)
{
	if (!link->want_drained || link->sendq_bytes >= RC_LINK_SEND_QUEUE_LOW)
		return;
	link->want_drained = FALSE;
	rc_link_ref(link);
	rc_link_release_paused(link);
	if (link->state != RC_LINK_CLOSED)
		rc_netceptor_link_drained(link->nc, link);
	rc_link_unref(link);
}

gboolean
rc_link_has_room(RcLink *link, gsize size)
{
	if (link->state == RC_LINK_CLOSED)
		return TRUE; /* a send will fail at once; nothing to wait for */
	if (link->sendq_bytes + size <= RC_LINK_SEND_QUEUE_HIGH)
		return TRUE;
	link->want_drained = TRUE;
	return FALSE;
}

static gboolean
rc_link_pause_timeout_cb(gpointer user_data)
{
	RcLink *link = user_data;

	link->pause_source = 0;
	g_debug("Reading from %s resumed after %d ms with its data still queued elsewhere",
		link->peer, RC_LINK_PAUSE_MAX_MS);
	rc_link_resume_reading(link);
	return G_SOURCE_REMOVE;
}

void
rc_link_pause_reading(RcLink *link)
{
	if (link->stream == NULL || link->read_paused || link->state == RC_LINK_CLOSED)
		return;
	link->read_paused = TRUE;
	link->pause_source = g_timeout_add(RC_LINK_PAUSE_MAX_MS, rc_link_pause_timeout_cb, link);
}

void
rc_link_resume_reading(RcLink *link)
{
	if (!link->read_paused)
		return;
	link->read_paused = FALSE;
	g_clear_handle_id(&link->pause_source, g_source_remove);
	if (link->read_stalled) {
		link->read_stalled = FALSE;
		rc_link_read_next(link);
	}
}

gboolean
rc_link_send_forwarded(RcLink *link, GBytes *message, RcLink *from)
{
	gsize size = g_bytes_get_size(message);

	if (link->state == RC_LINK_CLOSED || size == 0 || size > link->max_message)
		return rc_link_send(link, message);
	if (link->sendq_bytes + size <= RC_LINK_SEND_QUEUE_HIGH)
		return rc_link_send(link, message);
	if (from == NULL || from->stream == NULL || from == link ||
	    link->sendq_bytes + size > RC_LINK_SEND_QUEUE_FORWARD_MAX) {
		g_debug("Send queue to %s full, dropping a data message", link->peer);
		link->want_drained = TRUE;
		return FALSE;
	}
	/* hop-by-hop backpressure: keep it, stop reading where it came from */
	if (!from->read_paused) {
		rc_link_pause_reading(from);
		if (link->paused_links == NULL)
			link->paused_links =
				g_ptr_array_new_with_free_func((GDestroyNotify)rc_link_unref);
		if (!g_ptr_array_find(link->paused_links, from, NULL))
			g_ptr_array_add(link->paused_links, rc_link_ref(from));
	}
	link->want_drained = TRUE;
	{
		RcLinkFrame *frame = g_new0(RcLinkFrame, 1);

		frame->message = g_bytes_ref(message);
		frame->header[0] = (guint8)(size & 0xff);
		frame->header[1] = (guint8)(size >> 8);
		g_queue_push_tail(&link->sendq, frame);
		link->sendq_bytes += size;
	}
	rc_link_write_next(link);
	return TRUE;
}

/* ------------------------------------------------------------------ teardown */

static gboolean
rc_link_finalize_cb(gpointer user_data)
{
	RcLink *link = user_data;

	if (link->ops != NULL && link->ops->close != NULL)
		link->ops->close(link->link_data);
	link->link_data = NULL;
	if (!link->ended_called) {
		link->ended_called = TRUE;
		if (link->ended != NULL)
			link->ended(link->ended_data, link->end_reason);
	}
	rc_link_unref(link);
	return G_SOURCE_REMOVE;
}

static void
rc_link_stream_closed_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RcLink *link = user_data;

	(void)g_io_stream_close_finish(G_IO_STREAM(source), result, NULL);
	rc_link_unref(link);
}

static void
rc_link_teardown(RcLink *link, const GError *reason)
{
	if (link->state == RC_LINK_CLOSED)
		return;
	link->state = RC_LINK_CLOSED;
	if (reason != NULL && link->end_reason == NULL)
		link->end_reason = g_error_copy(reason);
	g_clear_handle_id(&link->init_source, g_source_remove);
	g_clear_handle_id(&link->flush_source, g_source_remove);
	g_clear_handle_id(&link->pause_source, g_source_remove);
	rc_link_release_paused(link);
	if (link->nc != NULL)
		rc_netceptor_link_removed(link->nc, link);
	g_cancellable_cancel(link->cancellable);
	if (link->stream != NULL && !g_io_stream_is_closed(link->stream)) {
		/* wire.md 9.1: end the transport without any goodbye */
		g_io_stream_close_async(link->stream, G_PRIORITY_DEFAULT, NULL,
					rc_link_stream_closed_cb, rc_link_ref(link));
	}
	/* The backend and its `ended` callback hear about it from the loop, never
	 * from inside one of their own calls into the host. */
	g_idle_add(rc_link_finalize_cb, rc_link_ref(link));
	/* the reference the link holds on itself while open */
	rc_link_unref(link);
}

void
rc_link_end(RcLink *link, const char *log_line)
{
	g_autoptr(GError) reason = NULL;

	if (link == NULL || link->state == RC_LINK_CLOSED)
		return;
	if (log_line != NULL) {
		rc_log_error("%s", log_line);
		reason = g_error_new_literal(RC_ERROR, RC_ERROR_PROTOCOL, log_line);
	}
	rc_link_teardown(link, reason);
}

/* ------------------------------------------------------------------ sending */

static void
rc_link_check_flushed(RcLink *link)
{
	if (link->state == RC_LINK_CLOSING && g_queue_is_empty(&link->sendq))
		rc_link_teardown(link, link->end_reason);
}

static void
rc_link_write_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RcLink *link = user_data;
	g_autoptr(GError) error = NULL;

	link->writing = FALSE;
	if (!g_output_stream_writev_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		if (link->state != RC_LINK_CLOSED &&
		    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_autofree char *line =
				g_strdup_printf("Backend sending error %s", error->message);

			rc_link_end(link, line);
		}
		rc_link_unref(link);
		return;
	}
	for (guint i = 0; i < link->inflight; i++) {
		RcLinkFrame *frame = g_queue_pop_head(&link->sendq);

		link->sendq_bytes -= g_bytes_get_size(frame->message);
		rc_link_frame_free(frame);
	}
	link->inflight = 0;
	if (link->state != RC_LINK_CLOSED) {
		rc_link_check_flushed(link);
		rc_link_write_next(link);
	}
	if (link->state != RC_LINK_CLOSED)
		rc_link_check_drained(link);
	rc_link_unref(link);
}

static void
rc_link_write_next(RcLink *link)
{
	if (link->state == RC_LINK_CLOSED || g_queue_is_empty(&link->sendq))
		return;
	if (link->stream != NULL) {
		guint n = 0;

		if (link->writing)
			return;
		for (GList *l = link->sendq.head; l != NULL && n < RC_LINK_WRITE_BATCH; l = l->next) {
			RcLinkFrame *frame = l->data;
			gsize size = 0;
			gconstpointer data = g_bytes_get_data(frame->message, &size);

			link->wvec[2 * n].buffer = frame->header;
			link->wvec[2 * n].size = 2;
			link->wvec[2 * n + 1].buffer = data;
			link->wvec[2 * n + 1].size = size;
			n++;
		}
		link->inflight = n;
		link->writing = TRUE;
		g_output_stream_writev_all_async(g_io_stream_get_output_stream(link->stream),
						 link->wvec, 2 * n, G_PRIORITY_DEFAULT,
						 link->cancellable, rc_link_write_done_cb,
						 rc_link_ref(link));
		return;
	}
	/* message backend */
	while (!link->send_full && !g_queue_is_empty(&link->sendq) &&
	       link->state != RC_LINK_CLOSED) {
		RcLinkFrame *frame = g_queue_peek_head(&link->sendq);
		guint32 res = link->ops->send(link->link_data, frame->message);

		if (res == RC_LINK_SEND_FULL) {
			link->send_full = TRUE;
			break;
		}
		if (res != RC_LINK_SEND_OK) {
			rc_link_end(link, "Backend sending error send failed");
			return;
		}
		g_queue_pop_head(&link->sendq);
		link->sendq_bytes -= g_bytes_get_size(frame->message);
		rc_link_frame_free(frame);
	}
	rc_link_check_flushed(link);
	if (link->state != RC_LINK_CLOSED)
		rc_link_check_drained(link);
}

gboolean
rc_link_send(RcLink *link, GBytes *message)
{
	gsize size = g_bytes_get_size(message);
	const guint8 *data = g_bytes_get_data(message, NULL);
	RcLinkFrame *frame;

	if (link->state == RC_LINK_CLOSED || size == 0)
		return FALSE;
	if (size > link->max_message) {
		/* wire.md 4: a longer TCP frame would desynchronise a Go peer */
		g_debug("Dropping message of %" G_GSIZE_FORMAT " bytes to %s: too large for the backend",
			size, link->peer);
		return FALSE;
	}
	if (data[0] == RC_MSG_DATA && link->sendq_bytes + size > RC_LINK_SEND_QUEUE_HIGH) {
		g_debug("Send queue to %s full, dropping a data message", link->peer);
		link->want_drained = TRUE;
		return FALSE;
	}
	if (link->sendq_bytes + size > RC_LINK_SEND_QUEUE_MAX) {
		g_autofree char *line = g_strdup_printf(
			"Backend sending error %s: send queue above %d bytes, peer not reading",
			link->peer, RC_LINK_SEND_QUEUE_MAX);

		rc_link_end(link, line);
		return FALSE;
	}
	frame = g_new0(RcLinkFrame, 1);
	frame->message = g_bytes_ref(message);
	frame->header[0] = (guint8)(size & 0xff);
	frame->header[1] = (guint8)(size >> 8);
	g_queue_push_tail(&link->sendq, frame);
	link->sendq_bytes += size;
	rc_link_write_next(link);
	return TRUE;
}

static gboolean
rc_link_flush_timeout_cb(gpointer user_data)
{
	RcLink *link = user_data;

	link->flush_source = 0;
	rc_link_teardown(link, link->end_reason);
	return G_SOURCE_REMOVE;
}

void
rc_link_reject(RcLink *link, const char *reason)
{
	g_autoptr(GBytes) reject = NULL;
	g_autofree char *text = NULL;
	g_autofree char *line = NULL;
	const char *own;

	if (link->state == RC_LINK_CLOSED || link->state == RC_LINK_CLOSING)
		return;
	own = rc_netceptor_get_node_id(link->nc);
	text = g_strdup_printf("%s: rejected connection with node %s because %s", own,
			       link->remote_node != NULL ? link->remote_node : "", reason);
	line = g_strdup_printf("Backend error: %s", text);
	g_strdelimit(line, "\r\n", ' ');
	rc_log_error("%s", line);
	g_clear_error(&link->end_reason);
	link->end_reason = g_error_new_literal(RC_ERROR, RC_ERROR_PROTOCOL, text);
	/* stop taking part in the mesh at once, then flush the reject (wire.md 5.5) */
	rc_netceptor_link_removed(link->nc, link);
	g_clear_handle_id(&link->init_source, g_source_remove);
	link->state = RC_LINK_CLOSING;
	reject = rc_wire_encode_reject();
	{
		/* the reject always fits: bypass the data-message bound */
		RcLinkFrame *frame = g_new0(RcLinkFrame, 1);
		gsize size = g_bytes_get_size(reject);

		frame->message = g_bytes_ref(reject);
		frame->header[0] = (guint8)size;
		frame->header[1] = 0;
		g_queue_push_tail(&link->sendq, frame);
		link->sendq_bytes += size;
	}
	link->flush_source = g_timeout_add(RC_LINK_REJECT_FLUSH_MS, rc_link_flush_timeout_cb, link);
	rc_link_write_next(link);
}

/* ------------------------------------------------------------------ initial connect */

static void
rc_link_send_initial(RcLink *link)
{
	g_autoptr(GBytes) update = rc_netceptor_make_initial_update(link->nc);

	if (update == NULL)
		return;
	g_debug("Sending initial connection message");
	link->init_sends++;
	(void)rc_link_send(link, update);
}

static gboolean
rc_link_init_cb(gpointer user_data)
{
	RcLink *link = user_data;

	if (link->state != RC_LINK_CONNECTING) {
		link->init_source = 0;
		return G_SOURCE_REMOVE;
	}
	if (link->init_sends >= RC_LINK_INIT_MAX_SENDS) {
		link->init_source = 0;
		rc_log_warning("Giving up on connection initialization");
		rc_link_teardown(link, NULL);
		return G_SOURCE_REMOVE;
	}
	rc_link_send_initial(link);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ receiving */

static gboolean
rc_link_allowed(RcLink *link, const char *node)
{
	GVariantIter iter;
	const char *allowed;

	if (link->allowed == NULL)
		return TRUE;
	g_variant_iter_init(&iter, link->allowed);
	while (g_variant_iter_next(&iter, "&s", &allowed)) {
		if (g_strcmp0(allowed, node) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
rc_link_first_update(RcLink *link, RcRoutingUpdate *ru)
{
	const char *remote = ru->forwarding_node;
	double nodecost;

	/* wire.md 16 Q11: an empty ForwardingNode is not established (Go would) */
	if (remote[0] == '\0')
		return;
	g_free(link->remote_node);
	link->remote_node = g_strdup(remote);
	if (g_strcmp0(remote, rc_netceptor_get_node_id(link->nc)) == 0) {
		rc_link_reject(link, "it tried to connect using our own node ID");
		return;
	}
	if (!rc_link_allowed(link, remote)) {
		rc_link_reject(link, "it is not in the allowed peers list");
		return;
	}
	/* receptor-c extension (tls.md 5.4): bind the announced node ID to the
	 * peer's certificate when the TLS config asks for it. */
	g_autoptr(GError) tls_error = NULL;
	GIOStream *transport = link->stream != NULL ? link->stream : link->transport;
	if (transport != NULL && !rc_tls_peer_matches_node(transport, remote, &tls_error)) {
		rc_link_reject(link, tls_error->message);
		return;
	}
	if (link->nodecost != NULL && g_variant_lookup(link->nodecost, remote, "d", &nodecost))
		link->cost = nodecost;
	if (rc_netceptor_lookup_link(link->nc, remote) != NULL) {
		rc_link_reject(link, "it connected using a node ID we are already connected to");
		return;
	}
	g_clear_handle_id(&link->init_source, g_source_remove);
	g_debug("Stopping initial updates");
	link->state = RC_LINK_ESTABLISHED;
	rc_netceptor_link_established(link->nc, link);
}

static void
rc_link_established_update(RcLink *link, RcRoutingUpdate *ru)
{
	const char *own = rc_netceptor_get_node_id(link->nc);
	double listed;

	if (g_strcmp0(ru->forwarding_node, link->remote_node) != 0) {
		g_autofree char *reason =
			g_strdup_printf("remote node ID changed unexpectedly from %s to %s",
					link->remote_node, ru->node_id);

		rc_link_reject(link, reason);
		return;
	}
	if (g_strcmp0(ru->node_id, link->remote_node) == 0) {
		if (!rc_routing_update_get_connection(ru, own, &listed)) {
			if (link->remote_established)
				rc_link_reject(link, "remote node no longer lists us as a connection");
			/* else: a late initial connect message (wire.md 5.4, 15.5) */
			return;
		}
		link->remote_established = TRUE;
		if (listed != link->cost) {
			rc_link_reject(link, "we disagree about the connection cost");
			return;
		}
	}
	rc_netceptor_handle_routing_update(link->nc, link, ru);
}

static void
rc_link_protocol_error(RcLink *link, const char *what)
{
	g_autofree char *line = g_strdup_printf("Backend error: %s: %s, dropping link",
						link->peer, what);

	g_strdelimit(line, "\r\n", ' ');
	rc_link_end(link, line);
}

/* One whole message from the backend (wire.md 5.3, 5.4). */
static void
rc_link_dispatch(RcLink *link, GBytes *message)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(message, &len);

	if (link->state == RC_LINK_CLOSED || link->state == RC_LINK_CLOSING)
		return;
	link->last_received_us = g_get_monotonic_time();
	if (len == 0)
		return; /* wire.md 2: Go would crash; we ignore empty messages */

	switch (data[0]) {
	case RC_MSG_REJECT:
		rc_log_warning("Received a rejection message from peer.");
		rc_link_end(link, "Backend error: remote node rejected the connection");
		return;
	case RC_MSG_ROUTE: {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcRoutingUpdate) ru = rc_routing_update_decode(data + 1, len - 1, &error);

		if (ru == NULL) {
			/* Go logs and keeps the link; a peer sending undecodable updates
			 * is broken or hostile (docs/differences.md) */
			g_autofree char *what =
				g_strdup_printf("Error unpacking routing update: %s", error->message);

			rc_link_protocol_error(link, what);
			return;
		}
		if (link->state == RC_LINK_CONNECTING)
			rc_link_first_update(link, ru);
		else
			rc_link_established_update(link, ru);
		return;
	}
	case RC_MSG_DATA:
		if (link->state == RC_LINK_ESTABLISHED) {
			g_autofree char *why = NULL;

			if (!rc_netceptor_handle_data(link->nc, link, message, &why))
				rc_link_protocol_error(link, why);
		}
		return;
	case RC_MSG_SERVICE_AD:
		if (link->state == RC_LINK_ESTABLISHED)
			rc_netceptor_handle_service_ad(link->nc, link, message);
		return;
	default:
		if (link->state == RC_LINK_ESTABLISHED) {
			rc_log_warning("Unknown message type");
			return;
		}
		/* Go ignores it silently; no Netceptor peer sends it (docs/differences.md) */
		rc_link_protocol_error(link, "unknown message type before the link was established");
		return;
	}
}

static void
rc_link_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RcLink *link = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	gsize off = 0;

	if (link->state == RC_LINK_CLOSED || link->state == RC_LINK_CLOSING) {
		rc_link_unref(link);
		return;
	}
	if (n < 0) {
		g_autofree char *line = g_strdup_printf("Backend receiving error %s", error->message);

		rc_link_end(link, line);
		rc_link_unref(link);
		return;
	}
	if (n == 0) {
		/* wire.md 5.6: a clean close is not logged */
		rc_link_teardown(link, NULL);
		rc_link_unref(link);
		return;
	}
	link->rlen += (gsize)n;
	while (link->rlen - off >= 2 && link->state != RC_LINK_CLOSED &&
	       link->state != RC_LINK_CLOSING) {
		gsize frame_len = (gsize)link->rbuf[off] | ((gsize)link->rbuf[off + 1] << 8);
		g_autoptr(GBytes) message = NULL;

		if (link->rlen - off - 2 < frame_len)
			break;
		message = g_bytes_new(link->rbuf + off + 2, frame_len);
		off += 2 + frame_len;
		rc_link_dispatch(link, message);
	}
	if (off > 0 && off < link->rlen)
		memmove(link->rbuf, link->rbuf + off, link->rlen - off);
	link->rlen -= off;
	rc_link_read_next(link);
	rc_link_unref(link);
}

static void
rc_link_read_next(RcLink *link)
{
	if (link->state == RC_LINK_CLOSED || link->state == RC_LINK_CLOSING)
		return;
	if (link->read_paused) {
		link->read_stalled = TRUE;
		return;
	}
	g_input_stream_read_async(g_io_stream_get_input_stream(link->stream),
				  link->rbuf + link->rlen, RC_LINK_READ_BUFFER - link->rlen,
				  G_PRIORITY_DEFAULT, link->cancellable, rc_link_read_cb,
				  rc_link_ref(link));
}

/* ------------------------------------------------------------------ opening */

static RcLink *
rc_link_new(RcEntity *entity, const char *peer, RcLinkEndedFunc ended, gpointer user_data,
	    GError **error)
{
	RcNetceptor *nc = rc_netceptor_ensure(entity->core, error);
	RcLink *link;

	if (nc == NULL)
		return NULL;
	link = g_new0(RcLink, 1);
	link->refcount = 1; /* dropped by teardown */
	link->nc = nc;
	link->entity = entity;
	link->peer = g_strdup(peer != NULL ? peer : "unknown");
	link->ended = ended;
	link->ended_data = user_data;
	link->cancellable = g_cancellable_new();
	g_queue_init(&link->sendq);
	link->cost = rc_entity_get_float(entity, "cost", 1.0);
	link->nodecost = rc_entity_get_value(entity, "nodecost");
	if (link->nodecost != NULL && !g_variant_is_of_type(link->nodecost, G_VARIANT_TYPE("a{sd}")))
		g_clear_pointer(&link->nodecost, g_variant_unref);
	link->allowed = rc_entity_get_value(entity, "allowedpeers");
	if (link->allowed != NULL && !g_variant_is_of_type(link->allowed, G_VARIANT_TYPE("as")))
		g_clear_pointer(&link->allowed, g_variant_unref);
	link->last_received_us = g_get_monotonic_time();
	link->max_message = RC_WIRE_TCP_MAX_MESSAGE;
	return link;
}

static RcLink *
rc_link_start(RcLink *link, GError **error)
{
	if (!(link->cost > 0)) {
		/* wire.md 5.1: Go leaves the session open; we close it */
		rc_log_error("Backend error: connection cost must be positive");
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "connection cost must be positive");
		link->ended = NULL;
		link->ops = NULL;
		rc_link_unref(link);
		return NULL;
	}
	rc_netceptor_link_added(link->nc, link);
	/* wire.md 5.2: initial connect message at once, then every second */
	link->init_source = g_timeout_add(RC_LINK_INIT_INTERVAL_MS, rc_link_init_cb, link);
	rc_link_send_initial(link);
	return link;
}

RcLink *
rc_link_open_stream(RcEntity *entity, GIOStream *stream, const char *peer,
		    RcLinkEndedFunc ended, gpointer user_data, GError **error)
{
	RcLink *link;

	g_return_val_if_fail(entity != NULL, NULL);
	g_return_val_if_fail(G_IS_IO_STREAM(stream), NULL);
	link = rc_link_new(entity, peer, ended, user_data, error);
	if (link == NULL)
		return NULL;
	link->stream = g_object_ref(stream);
	link->rbuf = g_malloc(RC_LINK_READ_BUFFER);
	if (rc_link_start(link, error) == NULL)
		return NULL;
	if (link->state != RC_LINK_CLOSED)
		rc_link_read_next(link);
	return link;
}

RcLink *
rc_link_open(RcEntity *entity, const RcLinkOps *ops, gpointer link_data, const char *peer,
	     RcLinkEndedFunc ended, gpointer user_data, GError **error)
{
	RcLink *link;

	g_return_val_if_fail(entity != NULL, NULL);
	g_return_val_if_fail(ops != NULL && ops->send != NULL, NULL);
	link = rc_link_new(entity, peer, ended, user_data, error);
	if (link == NULL)
		return NULL;
	link->ops = ops;
	link->link_data = link_data;
	/* Message backends carry up to a UDP datagram; the backend refuses more. */
	link->max_message = RC_WIRE_READ_BUFFER;
	return rc_link_start(link, error);
}

void
rc_link_received(RcLink *link, GBytes *message)
{
	g_return_if_fail(link != NULL && message != NULL);
	rc_link_ref(link);
	rc_link_dispatch(link, message);
	rc_link_unref(link);
}

void
rc_link_writable(RcLink *link)
{
	g_return_if_fail(link != NULL);
	link->send_full = FALSE;
	rc_link_write_next(link);
}

void
rc_link_set_transport(RcLink *link, GIOStream *transport)
{
	g_return_if_fail(link != NULL);
	g_set_object(&link->transport, transport);
}

void
rc_link_closed(RcLink *link, const GError *reason)
{
	g_autofree char *line = NULL;

	g_return_if_fail(link != NULL);
	if (link->state == RC_LINK_CLOSED)
		return;
	if (reason != NULL) {
		line = g_strdup_printf("Backend receiving error %s", reason->message);
		g_strdelimit(line, "\r\n", ' ');
		rc_log_error("%s", line);
	}
	rc_link_teardown(link, reason);
}
