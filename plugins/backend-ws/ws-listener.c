/* ws-listener.c: an HTTP/1.1 (or HTTPS through the core's TLS) server that
 * upgrades requests for one path to WebSocket links (wire.md 9.3, 9.6).
 * The upgrade is judged by ws-common.c (gorilla's checks and Go's ServeMux
 * path rules); everything else is answered with an error and closed. */
#include "ws-listener.h"

#include "ws-common.h"
#include "ws-head.h"
#include "ws-link.h"

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *bindaddr;
	guint16 port;
	char *path;
	char *tls; /* nullable */
	char *listen_text;
	GSocketService *service;
	GList *pending;      /* WsAccept*: handshakes in progress */
	GHashTable *links;   /* WsLink* set (borrowed; detach removes) */
} WsListener;

typedef struct {
	WsListener *self;          /* NULL once the listener stopped */
	GIOStream *stream;         /* the TCP connection, then the TLS stream */
	char *peer;
	GCancellable *cancellable;
	char *response;
	WsServerVerdict verdict;
} WsAccept;

static void
ws_accept_free(WsAccept *accept)
{
	g_clear_object(&accept->stream);
	g_clear_object(&accept->cancellable);
	g_free(accept->peer);
	g_free(accept->response);
	ws_server_verdict_clear(&accept->verdict);
	g_free(accept);
}

/* Forget the handshake; close its stream unless it became a link. */
static void
ws_accept_finish(WsAccept *accept, gboolean close_stream)
{
	if (accept->self != NULL)
		accept->self->pending = g_list_remove(accept->self->pending, accept);
	if (close_stream && accept->stream != NULL && !g_io_stream_is_closed(accept->stream))
		g_io_stream_close_async(accept->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
	ws_accept_free(accept);
}

static void
ws_listener_link_detach(gpointer owner, WsLink *link)
{
	WsListener *self = owner;

	g_hash_table_remove(self->links, link);
}

static void
ws_listener_open_link(WsAccept *accept)
{
	WsListener *self = accept->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(WsLink) link = NULL;

	link = ws_link_new(self->host, accept->stream, FALSE, accept->peer,
			   ws_listener_link_detach, self);
	ws_link_ref(link); /* ours, across link_open */
	if (!ws_link_open(link, self->entity, ws_link_ended, link, &error)) {
		rc_log_error("Websocket listener %s: cannot start a session with %s: %s",
			     self->listen_text, accept->peer, error->message);
		return;
	}
	if (!ws_link_is_done(link))
		g_hash_table_add(self->links, link);
}

static void
ws_listener_response_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsAccept *accept = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		if (accept->self != NULL)
			rc_log_debug("Websocket listener %s: writing the response to %s failed: %s",
				     accept->self->listen_text, accept->peer, error->message);
		ws_accept_finish(accept, TRUE);
		return;
	}
	if (accept->self == NULL || accept->verdict.status != SOUP_STATUS_SWITCHING_PROTOCOLS) {
		ws_accept_finish(accept, TRUE);
		return;
	}
	ws_listener_open_link(accept);
	ws_accept_finish(accept, FALSE);
}

static void
ws_listener_head_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsAccept *accept = user_data;
	WsListener *self = accept->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) head = NULL;
	const guint8 *data;
	gsize len = 0;

	head = ws_head_read_finish(result, &error);
	if (self == NULL) {
		ws_accept_finish(accept, TRUE);
		return;
	}
	if (head == NULL) {
		/* Go's HTTP server answers an over-long head with 431 and logs
		 * nothing for timeouts or early closes */
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE)) {
			rc_log_warning("Websocket listener %s: refusing HTTP request from %s: %s",
				       self->listen_text, accept->peer, error->message);
			accept->verdict.status = 431 /* Request Header Fields Too Large */;
		} else {
			rc_log_debug("Websocket listener %s: no request from %s: %s",
				     self->listen_text, accept->peer, error->message);
			ws_accept_finish(accept, TRUE);
			return;
		}
	} else {
		data = g_bytes_get_data(head, &len);
		ws_server_check_request(data, len, self->path, &accept->verdict);
		if (accept->verdict.gorilla)
			/* wire.md 9.6 / 10: Go's line */
			rc_log_error("Error upgrading websocket connection: %s",
				     accept->verdict.reason);
		else if (accept->verdict.status != SOUP_STATUS_SWITCHING_PROTOCOLS)
			rc_log_warning("Websocket listener %s: refusing HTTP request from %s: "
				       "%s (answered %u)",
				       self->listen_text, accept->peer, accept->verdict.reason,
				       accept->verdict.status);
	}
	accept->response = ws_server_build_response(&accept->verdict, self->path);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(accept->stream),
					accept->response, strlen(accept->response),
					G_PRIORITY_DEFAULT, accept->cancellable,
					ws_listener_response_written, accept);
}

static void
ws_listener_handshake(WsAccept *accept)
{
	ws_head_read_async(accept->stream, WS_MAX_HEAD, WS_HEAD_TIMEOUT_MS, accept->cancellable,
			   ws_listener_head_read, accept);
}

static void
ws_listener_tls_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WsAccept *accept = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;

	if (accept->self == NULL) {
		ws_accept_finish(accept, TRUE);
		return;
	}
	stream = accept->self->host->tls_wrap_finish(accept->self->entity, result, &error);
	if (stream == NULL) {
		/* Go's HTTPS server logs handshake failures as "http: TLS handshake
		 * error from <addr>: <err>" on its own logger */
		rc_log_error("Websocket listener %s: TLS handshake error from %s: %s",
			     accept->self->listen_text, accept->peer, error->message);
		ws_accept_finish(accept, TRUE);
		return;
	}
	if (!G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream)) ||
	    !G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream))) {
		rc_log_error("Websocket listener %s: the TLS stream is not pollable, "
			     "dropping %s", accept->self->listen_text, accept->peer);
		g_io_stream_close_async(stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
		ws_accept_finish(accept, TRUE);
		return;
	}
	g_clear_object(&accept->stream);
	accept->stream = g_steal_pointer(&stream);
	ws_listener_handshake(accept);
}

static gboolean
ws_listener_incoming(GSocketService *service, GSocketConnection *connection,
		     GObject *source_object, gpointer user_data)
{
	WsListener *self = user_data;
	g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, NULL);
	WsAccept *accept;

	if (g_list_length(self->pending) >= WS_MAX_PENDING_HANDSHAKES) {
		g_autofree char *peer = ws_address_text(remote);

		rc_log_warning("Websocket listener %s: too many handshakes in progress, "
			       "dropping %s", self->listen_text, peer);
		(void)g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
		return TRUE;
	}
	accept = g_new0(WsAccept, 1);
	accept->self = self;
	accept->stream = G_IO_STREAM(g_object_ref(connection));
	accept->peer = ws_address_text(remote);
	accept->cancellable = g_cancellable_new();
	self->pending = g_list_prepend(self->pending, accept);
	if (self->tls != NULL) {
		self->host->tls_wrap_async(self->entity, self->tls, TRUE, accept->stream, NULL,
					   accept->cancellable, ws_listener_tls_done, accept);
		return TRUE;
	}
	ws_listener_handshake(accept);
	return TRUE;
}

gboolean
ws_listener_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		   GError **error)
{
	g_autofree WsListener *self = NULL;
	const char *bindaddr = ws_param_string(params, "bindaddr");
	const char *path = ws_param_string(params, "path");
	const char *tls = ws_param_string(params, "tls");
	gint64 port = -1;

	if (!ws_check_costs(params, error))
		return FALSE;
	if (!g_variant_lookup(params, "port", "x", &port)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "required parameter missing: port");
		return FALSE;
	}
	if (port < 0 || port > 65535) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid port %" G_GINT64_FORMAT,
			    port);
		return FALSE;
	}
	if (path == NULL)
		path = "/";
	if (path[0] != '/') {
		/* Go's ServeMux panics on a pattern that is no path (config.md 9.9) */
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "path %s must start with '/'", path);
		return FALSE;
	}
	self = g_new0(WsListener, 1);
	self->host = host;
	self->entity = entity;
	self->bindaddr = g_strdup(bindaddr != NULL ? bindaddr : "0.0.0.0");
	self->port = (guint16)port;
	self->path = g_strdup(path);
	self->tls = g_strdup(tls);
	self->listen_text = g_strdup_printf("%s:%u", self->bindaddr, self->port);
	*data = g_steal_pointer(&self);
	return TRUE;
}

static gboolean
ws_listener_bind(WsListener *self, guint16 *bound, GError **error)
{
	g_autoptr(GInetAddress) inet = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocketAddress) effective = NULL;
	gboolean wildcard = FALSE;

	inet = ws_parse_bind_address(self->bindaddr, &wildcard, error);
	if (inet == NULL)
		return FALSE;
	if (wildcard) {
		/* dual-stack, like Go (wire.md 9.3) */
		if (self->port == 0) {
			*bound = g_socket_listener_add_any_inet_port(
				G_SOCKET_LISTENER(self->service), NULL, error);
			return *bound != 0;
		}
		*bound = self->port;
		return g_socket_listener_add_inet_port(G_SOCKET_LISTENER(self->service),
						       self->port, NULL, error);
	}
	address = g_inet_socket_address_new(inet, self->port);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), address,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
					   &effective, error))
		return FALSE;
	*bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	return TRUE;
}

gboolean
ws_listener_start(gpointer data, GError **error)
{
	WsListener *self = data;
	g_autoptr(GError) local_error = NULL;
	guint16 bound = 0;

	if (self->tls != NULL) {
		if (!RC_HOST_HAS(self->host, tls_check) ||
		    !RC_HOST_HAS(self->host, tls_wrap_async)) {
			g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "unknown TLS config %s", self->tls);
			return FALSE;
		}
		if (!self->host->tls_check(self->entity, self->tls, TRUE, error))
			return FALSE;
	}
	self->service = g_socket_service_new();
	if (!ws_listener_bind(self, &bound, &local_error)) {
		g_autofree char *text = ws_error_text(local_error);

		g_clear_object(&self->service);
		rc_log_error("Error creating listener %s: listen tcp %s: bind: %s",
			     self->listen_text, self->listen_text, text);
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "listen tcp %s: bind: %s",
			    self->listen_text, text);
		return FALSE;
	}
	self->links = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_signal_connect(self->service, "incoming", G_CALLBACK(ws_listener_incoming), self);
	g_socket_service_start(self->service);
	rc_log_debug("Listening on Websocket %s:%u path %s", self->bindaddr, bound, self->path);
	return TRUE;
}

void
ws_listener_stop(gpointer data)
{
	WsListener *self = data;

	if (self == NULL || self->service == NULL)
		return;
	g_signal_handlers_disconnect_by_data(self->service, self);
	g_socket_service_stop(self->service);
	g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	g_clear_object(&self->service);
	for (GList *l = self->pending; l != NULL; l = l->next) {
		WsAccept *accept = l->data;

		accept->self = NULL;
		g_cancellable_cancel(accept->cancellable);
	}
	g_clear_pointer(&self->pending, g_list_free);
	while (self->links != NULL && g_hash_table_size(self->links) > 0) {
		GHashTableIter iter;
		gpointer link = NULL;

		g_hash_table_iter_init(&iter, self->links);
		if (!g_hash_table_iter_next(&iter, &link, NULL))
			break;
		ws_link_fail(link, NULL);
	}
	g_clear_pointer(&self->links, g_hash_table_unref);
}

void
ws_listener_free(gpointer data)
{
	WsListener *self = data;

	if (self == NULL)
		return;
	ws_listener_stop(self);
	g_free(self->bindaddr);
	g_free(self->path);
	g_free(self->tls);
	g_free(self->listen_text);
	g_free(self);
}
