/* udp-listener.c: one UDP socket, sessions demultiplexed by source address
 * (wire.md 9.5).  Replies go out of the listening socket. */
#include "udp-listener.h"

#include "udp-common.h"
#include "udp-link.h"

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *bindaddr;
	guint16 port;
	char *listen_text; /* "<bindaddr>:<port>" as configured */
	GSocket *socket;
	GSource *read_source;
	GHashTable *sessions; /* key "ip:port" -> UdpLink* (borrowed; detach removes) */
	guint8 *buffer;       /* UDP_READ_BUFFER_SIZE, one per listener */
	gint64 last_drop_log_us;
	guint dropped_unlogged;
} UdpListener;

static void
udp_listener_drop(UdpListener *self, const char *key, const char *reason)
{
	gint64 now = g_get_monotonic_time();

	/* one line per interval, so a flood of garbage cannot flood the log */
	if (self->last_drop_log_us != 0 && now - self->last_drop_log_us < UDP_DROP_LOG_INTERVAL_US) {
		self->dropped_unlogged++;
		return;
	}
	if (self->dropped_unlogged > 0)
		rc_log_warning("UDP listener %s: dropping datagram from %s: %s "
			       "(%u more dropped since the last report)",
			       self->listen_text, key, reason, self->dropped_unlogged);
	else
		rc_log_warning("UDP listener %s: dropping datagram from %s: %s", self->listen_text,
			       key, reason);
	self->last_drop_log_us = now;
	self->dropped_unlogged = 0;
}

static void
udp_listener_session_detach(gpointer owner, UdpLink *link)
{
	UdpListener *self = owner;

	g_hash_table_remove(self->sessions, link->key);
}

/* (transfer full) (nullable): a new session, referenced for the caller */
static UdpLink *
udp_listener_new_session(UdpListener *self, GSocketAddress *from, const char *key)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(UdpLink) link = NULL;

	if (g_hash_table_size(self->sessions) >= UDP_MAX_SESSIONS) {
		udp_listener_drop(self, key, "too many sessions");
		return NULL;
	}
	link = udp_link_new(self->host, self->socket, from, key, udp_listener_session_detach, self);
	udp_link_ref(link); /* ours, across link_open */
	if (!udp_link_open(link, self->entity, udp_link_ended, link, &error)) {
		rc_log_error("UDP listener %s: cannot start a session with %s: %s",
			     self->listen_text, key, error->message);
		return NULL;
	}
	if (link->done) /* the core ended it at once */
		return NULL;
	g_hash_table_insert(self->sessions, link->key, link);
	rc_log_debug("UDP listener %s: new session with %s", self->listen_text, key);
	return g_steal_pointer(&link);
}

static void
udp_listener_handle(UdpListener *self, GSocketAddress *from, const guint8 *data, gsize len)
{
	g_autofree char *key = udp_address_key(from);
	UdpLink *known = g_hash_table_lookup(self->sessions, key);
	UdpDatagramVerdict verdict = udp_datagram_classify(data, len, known == NULL);
	g_autoptr(UdpLink) link = NULL;

	if (verdict != UDP_DATAGRAM_OK) {
		udp_listener_drop(self, key, udp_datagram_verdict_text(verdict));
		return;
	}
	/* held: the core may close the session while handling the message */
	if (known != NULL)
		link = udp_link_ref(known);
	else
		link = udp_listener_new_session(self, from, key);
	if (link == NULL)
		return;
	udp_link_deliver(link, data, len);
}

static gboolean
udp_listener_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	UdpListener *self = user_data;

	for (guint i = 0; i < UDP_READ_BATCH && self->socket != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocketAddress) from = NULL;
		gssize n;

		n = g_socket_receive_from(self->socket, &from, (char *)self->buffer,
					  UDP_READ_BUFFER_SIZE, NULL, &error);
		if (n < 0) {
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				break;
			/* ICMP errors reported on the unconnected socket concern one
			 * destination, not the listener (wire.md 9.5 asks for nothing). */
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
			    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
			    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
			    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
				continue;
			/* wire.md 9.5: any other read error stops the listener */
			rc_log_error("UDP read error: %s", error->message);
			g_clear_pointer(&self->read_source, g_source_unref);
			return G_SOURCE_REMOVE;
		}
		udp_listener_handle(self, from, self->buffer, (gsize)n);
	}
	return G_SOURCE_CONTINUE;
}

gboolean
udp_listener_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
		    GError **error)
{
	g_autofree UdpListener *self = NULL;
	const char *bindaddr = udp_param_string(params, "bindaddr");
	gint64 port = -1;

	if (!udp_check_costs(params, error))
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
	self = g_new0(UdpListener, 1);
	self->host = host;
	self->entity = entity;
	self->bindaddr = g_strdup(bindaddr != NULL ? bindaddr : "0.0.0.0");
	self->port = (guint16)port;
	self->listen_text = g_strdup_printf("%s:%u", self->bindaddr, self->port);
	*data = g_steal_pointer(&self);
	return TRUE;
}

static GSocket *
udp_listener_bind(UdpListener *self, GError **error)
{
	g_autoptr(GInetAddress) inet = NULL;
	gboolean dual_stack = FALSE;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;

	inet = udp_parse_bind_address(self->bindaddr, &dual_stack, error);
	if (inet == NULL)
		return NULL;
	if (dual_stack) {
		/* wire.md 9.3: the wildcard listens dual-stack, like Go (GSocket
		 * clears IPV6_V6ONLY); fall back to IPv4 without IPv6. */
		g_autoptr(GInetAddress) any6 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV6);
		g_autoptr(GSocketAddress) address6 = g_inet_socket_address_new(any6, self->port);

		socket = g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
				      G_SOCKET_PROTOCOL_UDP, NULL);
		if (socket != NULL && g_socket_bind(socket, address6, FALSE, NULL))
			return g_steal_pointer(&socket);
		g_clear_object(&socket);
	}
	socket = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_DATAGRAM,
			      G_SOCKET_PROTOCOL_UDP, error);
	if (socket == NULL)
		return NULL;
	address = g_inet_socket_address_new(inet, self->port);
	if (!g_socket_bind(socket, address, FALSE, error))
		return NULL;
	return g_steal_pointer(&socket);
}

gboolean
udp_listener_start(gpointer data, GError **error)
{
	UdpListener *self = data;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GSocketAddress) local = NULL;
	g_autofree char *local_text = NULL;
	GSocket *socket;

	socket = udp_listener_bind(self, &local_error);
	if (socket == NULL) {
		g_autofree char *text = udp_error_text(local_error);

		/* wire.md 9.3 / 10: Go's config layer logs this line */
		rc_log_error("Error creating listener %s: listen udp %s: bind: %s",
			     self->listen_text, self->listen_text, text);
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "listen udp %s: bind: %s",
			    self->listen_text, text);
		return FALSE;
	}
	self->socket = socket;
	g_socket_set_blocking(self->socket, FALSE);
	self->sessions = g_hash_table_new(g_str_hash, g_str_equal);
	self->buffer = g_malloc(UDP_READ_BUFFER_SIZE);
	self->read_source = g_socket_create_source(self->socket, G_IO_IN, NULL);
	g_source_set_callback(self->read_source, G_SOURCE_FUNC(udp_listener_read_cb), self, NULL);
	g_source_attach(self->read_source, NULL);
	local = g_socket_get_local_address(self->socket, NULL);
	local_text = udp_address_key(local);
	rc_log_debug("Listening on UDP %s", local_text);
	return TRUE;
}

void
udp_listener_stop(gpointer data)
{
	UdpListener *self = data;

	if (self == NULL || self->socket == NULL)
		return;
	if (self->read_source != NULL) {
		g_source_destroy(self->read_source);
		g_clear_pointer(&self->read_source, g_source_unref);
	}
	/* end every session; each detaches itself from the table */
	while (self->sessions != NULL && g_hash_table_size(self->sessions) > 0) {
		GHashTableIter iter;
		gpointer value = NULL;

		g_hash_table_iter_init(&iter, self->sessions);
		if (!g_hash_table_iter_next(&iter, NULL, &value))
			break;
		udp_link_fail(value, NULL);
	}
	g_clear_pointer(&self->sessions, g_hash_table_unref);
	(void)g_socket_close(self->socket, NULL);
	g_clear_object(&self->socket);
	g_clear_pointer(&self->buffer, g_free);
}

void
udp_listener_free(gpointer data)
{
	UdpListener *self = data;

	if (self == NULL)
		return;
	udp_listener_stop(self);
	g_free(self->bindaddr);
	g_free(self->listen_text);
	g_free(self);
}
