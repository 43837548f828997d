/* tcp-listener.c: accept TCP sessions and hand them to the core as links.
 * wire.md 9.3 (accept behaviour), 9.4 (framing is done by the core). */
#include "tcp-listener.h"

#include "tcp-common.h"

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *bindaddr;
	gint64 port;
	char *tls; /* nullable */
	char *listen_text; /* "<bindaddr>:<port>" */
	GSocketService *service;
	GCancellable *cancellable;
	GHashTable *links; /* RcLink* -> TcpListenerLink*: sessions this listener produced */
	GList *pending;    /* TcpAccept*: TLS handshakes in progress */
	guint16 bound_port;
} TcpListener;

typedef struct {
	TcpListener *self;
	char *peer;
} TcpAccept;

static void
tcp_accept_free(TcpAccept *accept)
{
	g_free(accept->peer);
	g_free(accept);
}

typedef struct {
	TcpListener *self;
	RcLink *link;
} TcpListenerLink;

static void
tcp_listener_link_ended_cb(gpointer user_data, const GError *reason)
{
	TcpListenerLink *ll = user_data;

	if (ll->self != NULL && ll->link != NULL)
		g_hash_table_remove(ll->self->links, ll->link);
	else
		g_free(ll);
}

static void
tcp_listener_open_link(TcpListener *self, GIOStream *stream, const char *peer)
{
	g_autoptr(GError) error = NULL;
	TcpListenerLink *ll = g_new0(TcpListenerLink, 1);
	RcLink *link;

	ll->self = self;
	link = self->host->link_open_stream(self->entity, stream, peer,
					    tcp_listener_link_ended_cb, ll, &error);
	if (link == NULL) {
		rc_log_error("Error accepting connection: %s", error->message);
		g_free(ll);
		return;
	}
	/* the link may already have ended synchronously (it never does in the core,
	 * which reports endings from the main loop) */
	ll->link = link;
	g_hash_table_insert(self->links, link, ll);
}

static void
tcp_listener_tls_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TcpAccept *accept = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;

	if (accept->self != NULL)
		accept->self->pending = g_list_remove(accept->self->pending, accept);
	if (accept->self == NULL) {
		tcp_accept_free(accept);
		return;
	}
	stream = accept->self->host->tls_wrap_finish(accept->self->entity, result, &error);
	if (stream == NULL) {
		/* wire.md 9.4: Go surfaces a listener handshake failure as a receive error */
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			rc_log_error("Backend receiving error %s", error->message);
		tcp_accept_free(accept);
		return;
	}
	tcp_listener_open_link(accept->self, stream, accept->peer);
	tcp_accept_free(accept);
}

static char *
tcp_peer_text(GSocketConnection *connection)
{
	g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, NULL);
	g_autofree char *ip = NULL;

	if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS(remote))
		return g_strdup("unknown");
	ip = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
	if (strchr(ip, ':') != NULL)
		return g_strdup_printf("[%s]:%u", ip,
				       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote)));
	return g_strdup_printf("%s:%u", ip,
			       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote)));
}

static gboolean
tcp_listener_incoming(GSocketService *service, GSocketConnection *connection,
		      GObject *source_object, gpointer user_data)
{
	TcpListener *self = user_data;
	g_autofree char *peer = tcp_peer_text(connection);

	tcp_set_nodelay(connection);
	if (self->tls != NULL) {
		TcpAccept *accept = g_new0(TcpAccept, 1);

		accept->self = self;
		accept->peer = g_steal_pointer(&peer);
		self->pending = g_list_prepend(self->pending, accept);
		self->host->tls_wrap_async(self->entity, self->tls, TRUE, G_IO_STREAM(connection),
					   NULL, self->cancellable, tcp_listener_tls_done, accept);
		return TRUE;
	}
	tcp_listener_open_link(self, G_IO_STREAM(connection), peer);
	return TRUE;
}

gboolean
tcp_listener_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		    GError **error)
{
	g_autofree TcpListener *self = NULL;
	const char *bindaddr = tcp_param_string(params, "bindaddr");
	const char *tls = tcp_param_string(params, "tls");
	gint64 port = -1;

	if (!tcp_check_costs(params, error))
		return FALSE;
	if (!g_variant_lookup(params, "port", "x", &port)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
				    "required parameter missing: port");
		return FALSE;
	}
	if (port < 0 || port > 65535) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "listen tcp %s:%" G_GINT64_FORMAT ": invalid port",
			    bindaddr != NULL ? bindaddr : "0.0.0.0", port);
		return FALSE;
	}
	self = g_new0(TcpListener, 1);
	self->host = host;
	self->entity = entity;
	self->bindaddr = g_strdup(bindaddr != NULL ? bindaddr : "0.0.0.0");
	self->port = port;
	self->tls = (tls != NULL && tls[0] != '\0') ? g_strdup(tls) : NULL;
	self->listen_text = g_strdup_printf("%s:%" G_GINT64_FORMAT, self->bindaddr, port);
	self->links = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	*data = g_steal_pointer(&self);
	return TRUE;
}

/* Parse the bind address: an IP literal (IPv6 in brackets, as Go requires),
 * empty or a wildcard for dual-stack, or "localhost". */
static gboolean
tcp_listener_bind(TcpListener *self, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *addr = g_strdup(self->bindaddr);
	gsize len = strlen(addr);
	guint16 port = (guint16)self->port;
	gboolean ok;

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		memmove(addr, addr + 1, len - 2);
		addr[len - 2] = '\0';
	}
	if (addr[0] == '\0' || g_strcmp0(addr, "0.0.0.0") == 0 || g_strcmp0(addr, "::") == 0) {
		/* wire.md 9.3: Go's wildcard listen is dual-stack; so is GIO's */
		if (port == 0) {
			port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(self->service),
								   NULL, &local_error);
			ok = port != 0;
		} else {
			ok = g_socket_listener_add_inet_port(G_SOCKET_LISTENER(self->service), port,
							     NULL, &local_error);
		}
	} else {
		g_autoptr(GInetAddress) inet = NULL;
		g_autoptr(GSocketAddress) sa = NULL;
		g_autoptr(GSocketAddress) effective = NULL;

		if (g_ascii_strcasecmp(addr, "localhost") == 0)
			inet = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		else
			inet = g_inet_address_new_from_string(addr);
		if (inet == NULL) {
			g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
				    "listen tcp %s: bind address must be an IP address",
				    self->listen_text);
			return FALSE;
		}
		sa = g_inet_socket_address_new(inet, port);
		ok = g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), sa,
						   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
						   NULL, &effective, &local_error);
		if (ok)
			port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	}
	if (!ok) {
		g_autofree char *text = tcp_error_text(local_error);

		/* config.md 7: "listen tcp 0.0.0.0:27199: bind: address already in use" */
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "listen tcp %s: bind: %s",
			    self->listen_text, text);
		return FALSE;
	}
	self->bound_port = port;
	return TRUE;
}

gboolean
tcp_listener_start(gpointer data, GError **error)
{
	TcpListener *self = data;

	if (self->tls != NULL) {
		if (!RC_HOST_HAS(self->host, tls_check) || !RC_HOST_HAS(self->host, tls_wrap_async)) {
			g_set_error(error, RC_ERROR, RC_ERROR_UNSUPPORTED,
				    "unknown TLS config %s", self->tls);
			return FALSE;
		}
		if (!self->host->tls_check(self->entity, self->tls, TRUE, error))
			return FALSE;
	}
	self->cancellable = g_cancellable_new();
	self->service = g_socket_service_new();
	if (!tcp_listener_bind(self, error)) {
		g_clear_object(&self->service);
		g_clear_object(&self->cancellable);
		return FALSE;
	}
	g_signal_connect(self->service, "incoming", G_CALLBACK(tcp_listener_incoming), self);
	g_socket_service_start(self->service);
	rc_log_debug("Listening on TCP %s", self->listen_text);
	return TRUE;
}

void
tcp_listener_stop(gpointer data)
{
	TcpListener *self = data;
	GHashTableIter iter;
	gpointer key, value;

	if (self == NULL)
		return;
	if (self->service != NULL) {
		g_socket_service_stop(self->service);
		g_socket_listener_close(G_SOCKET_LISTENER(self->service));
		g_signal_handlers_disconnect_by_data(self->service, self);
		g_clear_object(&self->service);
	}
	if (self->cancellable != NULL) {
		g_cancellable_cancel(self->cancellable);
		g_clear_object(&self->cancellable);
	}
	for (GList *l = self->pending; l != NULL; l = l->next)
		((TcpAccept *)l->data)->self = NULL;
	g_clear_pointer(&self->pending, g_list_free);
	/* End this listener's sessions (reload removes the backend); their ended
	 * callbacks must not touch us any more. */
	g_hash_table_iter_init(&iter, self->links);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		TcpListenerLink *ll = value;

		ll->self = NULL;
		g_hash_table_iter_steal(&iter);
		self->host->link_closed(key, NULL);
	}
}

void
tcp_listener_free(gpointer data)
{
	TcpListener *self = data;

	if (self == NULL)
		return;
	tcp_listener_stop(self);
	g_hash_table_unref(self->links);
	g_free(self->bindaddr);
	g_free(self->tls);
	g_free(self->listen_text);
	g_free(self);
}

guint16
tcp_listener_get_port(gpointer data)
{
	TcpListener *self = data;

	return self->bound_port;
}
