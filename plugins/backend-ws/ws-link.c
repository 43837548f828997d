/* ws-link.c: one websocket session as a core message link (wire.md 9.6). */
#include "ws-link.h"

#include "ws-common.h"
#include "ws-meter.h"

struct _WsLink {
	gint refs;
	const RcHost *host;
	RcLink *link;       /* NULL until link_open returned, and after the end */
	GIOStream *base;    /* (owned) the upgraded TCP or TLS stream; closed at the end */
	GOutputStream *meter;
	SoupWebsocketConnection *conn;
	gboolean client;
	gboolean done;
	gboolean want_writable;
	guint writable_idle;
	guint64 queued;     /* frame bytes handed to libsoup */
	char *peer;
	char *error_text;   /* last error libsoup reported */
	WsLinkDetachFunc detach;
	gpointer owner;
};

WsLink *
ws_link_ref(WsLink *link)
{
	link->refs++;
	return link;
}

static void
ws_link_teardown(WsLink *link)
{
	g_clear_handle_id(&link->writable_idle, g_source_remove);
	if (link->meter != NULL)
		ws_meter_detach(WS_METER(link->meter));
	if (link->conn != NULL) {
		g_signal_handlers_disconnect_by_data(link->conn, link);
		/* disposing the connection closes its stream without a close frame
		 * (wire.md 9.1, 9.6: Go just closes the connection) */
		g_clear_object(&link->conn);
	}
	if (link->base != NULL && !g_io_stream_is_closed(link->base))
		g_io_stream_close_async(link->base, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

void
ws_link_unref(WsLink *link)
{
	if (link == NULL || --link->refs > 0)
		return;
	ws_link_teardown(link);
	g_clear_object(&link->meter);
	g_clear_object(&link->base);
	g_free(link->peer);
	g_free(link->error_text);
	g_free(link);
}

gboolean
ws_link_is_done(WsLink *link)
{
	return link->done;
}

static void
ws_link_detach(WsLink *link)
{
	WsLinkDetachFunc detach = link->detach;

	link->done = TRUE;
	link->detach = NULL;
	ws_link_teardown(link);
	if (detach != NULL)
		detach(link->owner, link);
}

static guint64
ws_link_outstanding(WsLink *link)
{
	guint64 written = link->meter != NULL ? ws_meter_get_written(WS_METER(link->meter)) : 0;

	/* pongs are written but never queued by us: clamp */
	return link->queued > written ? link->queued - written : 0;
}

static gboolean
ws_link_writable_cb(gpointer user_data)
{
	WsLink *link = user_data;

	link->writable_idle = 0;
	if (link->done || link->link == NULL || !link->want_writable)
		return G_SOURCE_REMOVE;
	link->want_writable = FALSE;
	link->host->link_writable(link->link);
	return G_SOURCE_REMOVE;
}

static void
ws_link_meter_cb(gpointer user_data, gsize written)
{
	WsLink *link = user_data;

	/* inside libsoup's write path: only schedule */
	if (link->want_writable && link->writable_idle == 0 &&
	    ws_link_outstanding(link) < WS_SEND_LOW_WATER)
		link->writable_idle = g_idle_add(ws_link_writable_cb, link);
}

static guint32
ws_link_send(gpointer link_data, GBytes *message)
{
	WsLink *link = link_data;
	gsize len = g_bytes_get_size(message);

	if (link->done || link->conn == NULL ||
	    soup_websocket_connection_get_state(link->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return RC_LINK_SEND_ERROR;
	if (len == 0 || len > WS_MAX_MESSAGE) {
		/* wire.md 4 / 11: never send an empty message; a message above what
		 * our own receiver accepts would only end the link at the peer */
		rc_log_error("Websocket link %s: not sending a %" G_GSIZE_FORMAT
			     "-byte message (limit %d bytes), dropped",
			     link->peer, len, WS_MAX_MESSAGE);
		return RC_LINK_SEND_OK;
	}
	if (ws_link_outstanding(link) >= WS_SEND_HIGH_WATER) {
		link->want_writable = TRUE;
		return RC_LINK_SEND_FULL;
	}
	link->queued += ws_frame_size(len, link->client);
	soup_websocket_connection_send_message(link->conn, SOUP_WEBSOCKET_DATA_BINARY, message);
	return RC_LINK_SEND_OK;
}

static void
ws_link_close(gpointer link_data)
{
	WsLink *link = link_data;

	link->link = NULL;
	if (!link->done)
		ws_link_detach(link);
	ws_link_unref(link);
}

static const RcLinkOps ws_link_ops = {
	.struct_size = sizeof(RcLinkOps),
	.send = ws_link_send,
	.close = ws_link_close,
};

static void
ws_link_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
	WsLink *link = user_data;
	g_autoptr(WsLink) hold = NULL;

	if (link->done || link->link == NULL)
		return;
	/* wire.md 9.6: any data message type is accepted (Go does not check) */
	if (g_bytes_get_size(message) == 0) {
		rc_log_warning("Websocket link %s: dropping an empty message", link->peer);
		return;
	}
	hold = ws_link_ref(link);
	link->host->link_received(link->link, message);
}

static void
ws_link_error_cb(SoupWebsocketConnection *conn, GError *error, gpointer user_data)
{
	WsLink *link = user_data;

	/* the first error is the cause; later ones (writes failing on the
	 * closing connection) are consequences */
	if (link->error_text != NULL)
		return;
	link->error_text = g_strdup(error->message);
	/* e.g. a message above WS_MAX_MESSAGE: say so once, here */
	if (error->domain == SOUP_WEBSOCKET_ERROR)
		rc_log_warning("Websocket link %s: %s, dropping link", link->peer, error->message);
}

/* gorilla's CloseError text: "websocket: close 1000 (normal): reason" */
static GError *
ws_close_error(gushort code, const char *data)
{
	static const struct {
		gushort code;
		const char *text;
	} names[] = {
		{ 1000, "normal" },           { 1001, "going away" },
		{ 1002, "protocol error" },   { 1003, "unsupported data" },
		{ 1005, "no status" },        { 1006, "abnormal closure" },
		{ 1007, "invalid payload data" }, { 1008, "policy violation" },
		{ 1009, "message too big" },  { 1010, "mandatory extension" },
		{ 1011, "internal server error" }, { 1015, "TLS handshake" },
	};
	const char *name = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if (names[i].code == code)
			name = names[i].text;
	}
	return g_error_new(RC_ERROR, RC_ERROR_PROTOCOL, "websocket: close %u%s%s%s%s%s", code,
			   name != NULL ? " (" : "", name != NULL ? name : "",
			   name != NULL ? ")" : "", (data != NULL && data[0] != '\0') ? ": " : "",
			   (data != NULL && data[0] != '\0') ? data : "");
}

static void
ws_link_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	WsLink *link = user_data;
	g_autoptr(GError) reason = NULL;
	gushort code = soup_websocket_connection_get_close_code(conn);
	g_autoptr(WsLink) hold = NULL;

	if (link->done)
		return;
	hold = ws_link_ref(link);
	/* wire.md 9.6: Go reports a peer's end as a close error (1006 when the
	 * peer just closed the connection) */
	if (link->error_text != NULL)
		reason = g_error_new(RC_ERROR, RC_ERROR_PROTOCOL, "%s", link->error_text);
	else if (code != 0 && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL)
		reason = ws_close_error(code, soup_websocket_connection_get_close_data(conn));
	else
		reason = g_error_new_literal(RC_ERROR, RC_ERROR_PROTOCOL,
					     "websocket: close 1006 (abnormal closure): "
					     "unexpected EOF");
	ws_link_fail(link, reason);
}

WsLink *
ws_link_new(const RcHost *host, GIOStream *stream, gboolean client, const char *peer,
	    WsLinkDetachFunc detach, gpointer owner)
{
	WsLink *link = g_new0(WsLink, 1);

	link->refs = 2;
	link->host = host;
	link->base = g_object_ref(stream);
	link->client = client;
	link->peer = g_strdup(peer);
	link->detach = detach;
	link->owner = owner;
	return link;
}

gboolean
ws_link_open(WsLink *link, RcEntity *entity, RcLinkEndedFunc ended, gpointer ended_data,
	     GError **error)
{
	g_autoptr(GIOStream) io = NULL;
	/* libsoup wants a URI; ours is informational only */
	g_autoptr(GUri) uri = g_uri_build(G_URI_FLAGS_NONE, link->client ? "ws" : "http", NULL,
					  "localhost", -1, "/", NULL, NULL);
	WsLink *hold = ws_link_ref(link);
	RcLink *rc_link;

	link->meter = ws_meter_new(g_io_stream_get_output_stream(link->base), ws_link_meter_cb,
				   link);
	io = g_simple_io_stream_new(g_io_stream_get_input_stream(link->base), link->meter);
	link->conn = soup_websocket_connection_new(
		io, uri,
		link->client ? SOUP_WEBSOCKET_CONNECTION_CLIENT : SOUP_WEBSOCKET_CONNECTION_SERVER,
		NULL, NULL, NULL);
	/* wire.md 9.6: Go sends no pings; bound incoming messages (ws-common.h) */
	soup_websocket_connection_set_keepalive_interval(link->conn, 0);
	soup_websocket_connection_set_max_incoming_payload_size(link->conn, WS_MAX_MESSAGE);
	g_signal_connect(link->conn, "message", G_CALLBACK(ws_link_message_cb), link);
	g_signal_connect(link->conn, "error", G_CALLBACK(ws_link_error_cb), link);
	g_signal_connect(link->conn, "closed", G_CALLBACK(ws_link_closed_cb), link);

	rc_link = link->host->link_open(entity, &ws_link_ops, link, link->peer, ended, ended_data,
					error);
	if (rc_link == NULL) {
		link->detach = NULL;
		link->done = TRUE;
		ws_link_teardown(link);
		ws_link_unref(link); /* the core's */
		ws_link_unref(link); /* the ended callback's */
		ws_link_unref(hold);
		return FALSE;
	}
	if (!link->done) {
		link->link = rc_link;
		/* wss: let the link layer check the peer's certificate against the
		 * node ID it announces (verifypeernodeid) */
		if (RC_HOST_HAS(link->host, link_set_transport))
			link->host->link_set_transport(rc_link, link->base);
	}
	ws_link_unref(hold);
	return TRUE;
}

void
ws_link_fail(WsLink *link, const GError *reason)
{
	RcLink *rc_link = link->link;

	if (link->done)
		return;
	ws_link_detach(link);
	if (rc_link != NULL)
		link->host->link_closed(rc_link, reason);
}

void
ws_link_ended(gpointer user_data, const GError *reason)
{
	ws_link_unref(user_data);
}
