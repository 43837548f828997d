/* proxy-udp.c: udp-server and udp-client (streams.md 7.4, 7.5, worked example F).
 *
 * No QUIC and no framing: one UDP datagram is one mesh datagram payload.
 * udp-server keeps one ephemeral mesh service per UDP client address;
 * udp-client keeps one connected UDP socket per mesh source (node:service).
 * Sessions idle for PROXY_UDP_SESSION_IDLE_US are expired (Go never expires
 * them, streams.md 11 Q7 suggests 5 minutes).  Sends never block: a full
 * socket buffer drops the datagram, as UDP would. */
#include "proxy-udp.h"

#include <string.h>

#include "proxy-bridge.h"

/* Go reads UDP with NormalBufferSize (streams.md 7.4, 8). */
#define PROXY_UDP_BUFFER 65536
/* Idle UDP sessions are forgotten after this (streams.md 11 Q7). */
#define PROXY_UDP_SESSION_IDLE_US (G_GINT64_CONSTANT(300) * G_USEC_PER_SEC)
#define PROXY_UDP_SWEEP_S 30
/* Sessions per proxy (bounds memory; a new client beyond it is dropped). */
#define PROXY_UDP_MAX_SESSIONS 4096

static char *
sockaddr_text(GSocketAddress *sa)
{
	if (!G_IS_INET_SOCKET_ADDRESS(sa))
		return g_strdup("?");
	GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(sa);
	g_autofree char *ip = g_inet_address_to_string(g_inet_socket_address_get_address(isa));
	guint16 port = g_inet_socket_address_get_port(isa);
	if (strchr(ip, ':') != NULL)
		return g_strdup_printf("[%s]:%u", ip, port);
	return g_strdup_printf("%s:%u", ip, port);
}

/* ------------------------------------------------------------ udp-server */

typedef struct _UdpServer UdpServer;

typedef struct {
	UdpServer *self;
	char *key; /* client "ip:port" */
	GSocketAddress *client;
	RcMeshSocket *mesh; /* ephemeral service */
	gint64 last_us;
} UdpServerSession;

struct _UdpServer {
	const RcHost *host;
	RcEntity *entity;
	char *bindaddr;
	gint64 port;
	char *remotenode;
	char *remoteservice;
	char *expect_node; /* remotenode, "localhost" resolved (streams.md pitfall 19) */
	GSocket *socket;
	GSource *source;
	guint sweep;
	GHashTable *sessions; /* key -> UdpServerSession* */
	guint8 buf[PROXY_UDP_BUFFER];
};

static void
udp_server_session_free(UdpServerSession *s)
{
	s->self->host->mesh_socket_close(s->mesh);
	g_clear_object(&s->client);
	g_free(s->key);
	g_free(s);
}

static void
udp_server_mesh_recv(gpointer user_data, const char *from_node, const char *from_service,
		     GBytes *payload)
{
	UdpServerSession *s = user_data;
	UdpServer *self = s->self;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(payload, &len);

	if (g_strcmp0(from_node, self->expect_node) != 0 ||
	    g_strcmp0(from_service, self->remoteservice) != 0) {
		rc_log_debug("Received packet from unexpected source %s:%s", from_node,
			     from_service);
		return;
	}
	s->last_us = g_get_monotonic_time();
	if (self->socket == NULL)
		return;
	if (g_socket_send_to(self->socket, s->client, (const char *)data, len, NULL, &error) < 0 &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		rc_log_error("Error sending packet via UDP: %s", error->message);
}

static gboolean
udp_server_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	UdpServer *self = user_data;

	/* a few datagrams per wake-up, then yield to the loop */
	for (guint i = 0; i < 64; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocketAddress) from = NULL;
		gssize n = g_socket_receive_from(socket, &from, (char *)self->buf, sizeof self->buf,
						 NULL, &error);
		if (n < 0) {
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return G_SOURCE_CONTINUE;
			/* Go stops the service here; a transient ICMP error must not */
			rc_log_error("Error reading from UDP: %s", error->message);
			return G_SOURCE_CONTINUE;
		}
		g_autofree char *key = sockaddr_text(from);
		UdpServerSession *s = g_hash_table_lookup(self->sessions, key);
		if (s == NULL) {
			if (g_hash_table_size(self->sessions) >= PROXY_UDP_MAX_SESSIONS) {
				rc_log_debug("Too many UDP sessions, dropping a datagram from %s", key);
				continue;
			}
			s = g_new0(UdpServerSession, 1);
			s->self = self;
			s->key = g_strdup(key);
			s->client = g_object_ref(from);
			s->mesh = self->host->mesh_socket_bind(self->entity, NULL, NULL,
							       udp_server_mesh_recv, s, &error);
			if (s->mesh == NULL) {
				rc_log_error("Error listening on Receptor network: %s",
					     error->message);
				g_object_unref(s->client);
				g_free(s->key);
				g_free(s);
				continue;
			}
			rc_log_debug("Received new UDP connection from %s", key);
			g_hash_table_insert(self->sessions, s->key, s);
		}
		s->last_us = g_get_monotonic_time();
		g_autoptr(GBytes) payload = g_bytes_new(self->buf, (gsize)n);
		if (!self->host->mesh_socket_send(s->mesh, self->remotenode, self->remoteservice,
						  payload, &error))
			rc_log_error("Error sending packet on Receptor network: %s", error->message);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
udp_server_sweep(gpointer user_data)
{
	UdpServer *self = user_data;
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, self->sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		UdpServerSession *s = value;
		if (now - s->last_us > PROXY_UDP_SESSION_IDLE_US)
			g_hash_table_iter_remove(&it);
	}
	return G_SOURCE_CONTINUE;
}

gboolean
proxy_udp_server_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			GError **error)
{
	UdpServer *self = g_new0(UdpServer, 1);
	self->host = host;
	self->entity = entity;
	self->bindaddr = proxy_param_string(params, "bindaddr");
	if (self->bindaddr == NULL)
		self->bindaddr = g_strdup("0.0.0.0");
	self->remotenode = proxy_param_string(params, "remotenode");
	self->remoteservice = proxy_param_string(params, "remoteservice");
	self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       (GDestroyNotify)udp_server_session_free);
	if (!g_variant_lookup(params, "port", "x", &self->port) || self->port < 0 ||
	    self->port > 65535 || self->remotenode == NULL || self->remoteservice == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "could not resolve address %s:%" G_GINT64_FORMAT,
			    self->bindaddr, self->port);
		proxy_udp_server_free(self);
		return FALSE;
	}
	*data = self;
	return TRUE;
}

gboolean
proxy_udp_server_start(gpointer data, GError **error)
{
	UdpServer *self = data;
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(self->bindaddr);
	if (addr == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "could not resolve address %s:%" G_GINT64_FORMAT, self->bindaddr,
			    self->port);
		return FALSE;
	}
	self->expect_node = g_strdup(g_ascii_strcasecmp(self->remotenode, "localhost") == 0
					 ? self->host->node_id(self->entity)
					 : self->remotenode);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, (guint16)self->port);
	self->socket = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_DATAGRAM,
				    G_SOCKET_PROTOCOL_UDP, error);
	if (self->socket == NULL || !g_socket_bind(self->socket, sa, TRUE, error)) {
		g_prefix_error(error, "error listening on UDP: ");
		g_clear_object(&self->socket);
		return FALSE;
	}
	g_socket_set_blocking(self->socket, FALSE);
	self->source = g_socket_create_source(self->socket, G_IO_IN, NULL);
	g_source_set_callback(self->source, (GSourceFunc)(void (*)(void))udp_server_readable, self,
			      NULL);
	g_source_attach(self->source, g_main_context_get_thread_default());
	self->sweep = g_timeout_add_seconds(PROXY_UDP_SWEEP_S, udp_server_sweep, self);
	rc_log_debug("Running UDP server on %s:%" G_GINT64_FORMAT " -> %s:%s", self->bindaddr,
		     self->port, self->remotenode, self->remoteservice);
	return TRUE;
}

void
proxy_udp_server_stop(gpointer data)
{
	UdpServer *self = data;
	if (self->source != NULL) {
		g_source_destroy(self->source);
		g_clear_pointer(&self->source, g_source_unref);
	}
	g_clear_handle_id(&self->sweep, g_source_remove);
	g_hash_table_remove_all(self->sessions);
	if (self->socket != NULL) {
		g_socket_close(self->socket, NULL);
		g_clear_object(&self->socket);
	}
}

void
proxy_udp_server_free(gpointer data)
{
	UdpServer *self = data;
	if (self == NULL)
		return;
	proxy_udp_server_stop(self);
	g_hash_table_unref(self->sessions);
	g_free(self->bindaddr);
	g_free(self->remotenode);
	g_free(self->remoteservice);
	g_free(self->expect_node);
	g_free(self);
}

/* ------------------------------------------------------------ udp-client */

typedef struct _UdpClient UdpClient;

typedef struct {
	UdpClient *self;
	char *node;
	char *service;
	char *key; /* "node:service" */
	GSocket *socket; /* connected to the target */
	GSource *source;
	gint64 last_us;
} UdpClientSession;

struct _UdpClient {
	const RcHost *host;
	RcEntity *entity;
	char *service;
	char *address;
	RcMeshSocket *mesh;
	GSocketAddress *target; /* NULL until resolved */
	GCancellable *cancellable;
	guint sweep;
	GHashTable *sessions; /* key -> UdpClientSession* */
	guint8 buf[PROXY_UDP_BUFFER];
};

static void
udp_client_session_free(UdpClientSession *s)
{
	if (s->source != NULL) {
		g_source_destroy(s->source);
		g_source_unref(s->source);
	}
	if (s->socket != NULL) {
		g_socket_close(s->socket, NULL);
		g_object_unref(s->socket);
	}
	g_free(s->node);
	g_free(s->service);
	g_free(s->key);
	g_free(s);
}

static gboolean
udp_client_session_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	UdpClientSession *s = user_data;
	UdpClient *self = s->self;

	for (guint i = 0; i < 64; i++) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_receive(socket, (char *)self->buf, sizeof self->buf, NULL,
					    &error);
		if (n < 0) {
			if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				/* e.g. ICMP port unreachable from the target: keep the session */
				rc_log_debug("Error reading from UDP: %s", error->message);
			return G_SOURCE_CONTINUE;
		}
		s->last_us = g_get_monotonic_time();
		g_autoptr(GBytes) payload = g_bytes_new(self->buf, (gsize)n);
		if (self->mesh != NULL &&
		    !self->host->mesh_socket_send(self->mesh, s->node, s->service, payload, &error))
			rc_log_error("Error writing to the Receptor network: %s", error->message);
	}
	return G_SOURCE_CONTINUE;
}

static void
udp_client_mesh_recv(gpointer user_data, const char *from_node, const char *from_service,
		     GBytes *payload)
{
	UdpClient *self = user_data;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(payload, &len);

	if (self->target == NULL)
		return; /* still resolving (or failed): dropped like a lost datagram */
	g_autofree char *key = g_strdup_printf("%s:%s", from_node, from_service);
	UdpClientSession *s = g_hash_table_lookup(self->sessions, key);
	if (s == NULL) {
		if (g_hash_table_size(self->sessions) >= PROXY_UDP_MAX_SESSIONS) {
			rc_log_debug("Too many UDP sessions, dropping a datagram from %s", key);
			return;
		}
		g_autoptr(GSocket) sock =
		    g_socket_new(g_socket_address_get_family(self->target), G_SOCKET_TYPE_DATAGRAM,
				 G_SOCKET_PROTOCOL_UDP, &error);
		if (sock == NULL || !g_socket_connect(sock, self->target, NULL, &error)) {
			rc_log_error("Error connecting via UDP: %s", error->message);
			return;
		}
		g_socket_set_blocking(sock, FALSE);
		s = g_new0(UdpClientSession, 1);
		s->self = self;
		s->node = g_strdup(from_node);
		s->service = g_strdup(from_service);
		s->key = g_steal_pointer(&key);
		s->socket = g_steal_pointer(&sock);
		s->source = g_socket_create_source(s->socket, G_IO_IN, NULL);
		g_source_set_callback(s->source,
				      (GSourceFunc)(void (*)(void))udp_client_session_readable, s,
				      NULL);
		g_source_attach(s->source, g_main_context_get_thread_default());
		g_hash_table_insert(self->sessions, s->key, s);
		rc_log_debug("Opened new UDP connection to %s", s->key);
	}
	s->last_us = g_get_monotonic_time();
	if (g_socket_send(s->socket, (const char *)data, len, NULL, &error) < 0 &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		rc_log_debug("Error writing to UDP: %s", error->message);
}

static gboolean
udp_client_sweep(gpointer user_data)
{
	UdpClient *self = user_data;
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, self->sessions);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		UdpClientSession *s = value;
		if (now - s->last_us > PROXY_UDP_SESSION_IDLE_US)
			g_hash_table_iter_remove(&it);
	}
	return G_SOURCE_CONTINUE;
}

static void
udp_client_resolved(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) sa =
	    g_socket_address_enumerator_next_finish(G_SOCKET_ADDRESS_ENUMERATOR(source), res,
						    &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* stopped: user_data may be gone */
	UdpClient *self = user_data;
	if (sa == NULL) {
		rc_log_error("could not resolve UDP address %s%s%s", self->address,
			     error != NULL ? ": " : "", error != NULL ? error->message : "");
		return;
	}
	self->target = g_steal_pointer(&sa);
}

gboolean
proxy_udp_client_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			GError **error)
{
	UdpClient *self = g_new0(UdpClient, 1);
	g_autoptr(GSocketConnectable) addr = NULL;
	self->host = host;
	self->entity = entity;
	self->service = proxy_param_string(params, "service");
	self->address = proxy_param_string(params, "address");
	self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					       (GDestroyNotify)udp_client_session_free);
	if (self->address != NULL)
		addr = g_network_address_parse(self->address, 0, NULL);
	if (addr == NULL || g_network_address_get_port(G_NETWORK_ADDRESS(addr)) == 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "could not resolve UDP address %s",
			    self->address != NULL ? self->address : "");
		proxy_udp_client_free(self);
		return FALSE;
	}
	*data = self;
	return TRUE;
}

gboolean
proxy_udp_client_start(gpointer data, GError **error)
{
	UdpClient *self = data;
	/* the host consumes the floating tags */
	GVariant *tags =
	    g_variant_new_parsed("{'type': 'UDP Proxy', 'address': %s}", self->address);
	self->mesh = self->host->mesh_socket_bind(self->entity, self->service, tags,
						  udp_client_mesh_recv, self, error);
	if (self->mesh == NULL) {
		g_prefix_error(error, "error listening on service %s: ", self->service);
		return FALSE;
	}
	/* resolved once, asynchronously (never block the loop, STYLE.md 4) */
	g_autoptr(GSocketConnectable) addr = g_network_address_parse(self->address, 0, NULL);
	g_autoptr(GSocketAddressEnumerator) en = g_socket_connectable_enumerate(addr);
	self->cancellable = g_cancellable_new();
	g_socket_address_enumerator_next_async(en, self->cancellable, udp_client_resolved, self);
	self->sweep = g_timeout_add_seconds(PROXY_UDP_SWEEP_S, udp_client_sweep, self);
	rc_log_debug("Running UDP client: mesh service %s -> %s", self->service, self->address);
	return TRUE;
}

void
proxy_udp_client_stop(gpointer data)
{
	UdpClient *self = data;
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	g_clear_object(&self->cancellable);
	g_clear_handle_id(&self->sweep, g_source_remove);
	g_hash_table_remove_all(self->sessions);
	if (self->mesh != NULL) {
		self->host->mesh_socket_close(self->mesh);
		self->mesh = NULL;
	}
}

void
proxy_udp_client_free(gpointer data)
{
	UdpClient *self = data;
	if (self == NULL)
		return;
	proxy_udp_client_stop(self);
	g_hash_table_unref(self->sessions);
	g_clear_object(&self->target);
	g_free(self->service);
	g_free(self->address);
	g_free(self);
}
