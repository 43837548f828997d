/* proxy-tcp.c: tcp-server and tcp-client (streams.md 7.2, 7.3). */
#include "proxy-tcp.h"

#include <sys/socket.h>

#include "proxy-bridge.h"

/* ------------------------------------------------------------ tcp-server */

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *bindaddr;
	gint64 port;
	char *remotenode;
	char *remoteservice;
	char *tlsserver; /* nullable: TLS on the local TCP side */
	char *tlsclient; /* nullable: TLS of the mesh dial */
	GSocketService *service;
	GCancellable *cancellable;
	gint ref;         /* the entity + one per session in flight */
	gboolean stopped; /* stop/free ran: callbacks only clean up */
} TcpServer;

static void tcp_server_unref(TcpServer *self);

typedef struct {
	TcpServer *self;
	GIOStream *tcp; /* the accepted connection (TLS-wrapped once done) */
} TcpServerSession;

static void
session_free(TcpServerSession *s)
{
	g_clear_object(&s->tcp);
	tcp_server_unref(s->self);
	g_free(s);
}

static void
tcp_server_tls_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TcpServerSession *s = user_data;
	g_autoptr(GError) error = NULL;
	GIOStream *mesh = g_object_get_data(G_OBJECT(s->tcp), "proxy-mesh");
	if (s->self->stopped) {
		/* the entity is gone: never call the host with it again */
		g_io_stream_close(mesh, NULL, NULL);
		g_io_stream_close(s->tcp, NULL, NULL);
		g_object_set_data(G_OBJECT(s->tcp), "proxy-mesh", NULL);
		session_free(s);
		return;
	}
	g_autoptr(GIOStream) tls = s->self->host->tls_wrap_finish(s->self->entity, res, &error);
	if (tls == NULL) {
		rc_log_error("Error in TLS handshake with TCP client: %s", error->message);
		g_io_stream_close(mesh, NULL, NULL);
		g_io_stream_close(s->tcp, NULL, NULL);
	} else {
		proxy_bridge(tls, "tcp service", mesh, "receptor connection");
	}
	g_object_set_data(G_OBJECT(s->tcp), "proxy-mesh", NULL);
	session_free(s);
}

static void
tcp_server_dial_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TcpServerSession *s = user_data;
	TcpServer *self = s->self;
	g_autoptr(GError) error = NULL;
	if (self->stopped) {
		/* stopped while dialling (the dial was cancelled or completed
		 * anyway): the entity may be freed, only clean up */
		g_io_stream_close(s->tcp, NULL, NULL);
		session_free(s);
		return;
	}
	g_autoptr(GIOStream) mesh = self->host->mesh_dial_finish(self->entity, res, &error);
	if (mesh == NULL) {
		/* Go leaves the TCP connection open here; we close it (streams.md 7.2) */
		rc_log_error("Error connecting on Receptor network: %s", error->message);
		g_io_stream_close(s->tcp, NULL, NULL);
		session_free(s);
		return;
	}
	if (self->tlsserver != NULL) {
		/* the TLS handshake with the TCP client happens after the dial, as in Go */
		g_object_set_data_full(G_OBJECT(s->tcp), "proxy-mesh", g_object_ref(mesh),
				       g_object_unref);
		self->host->tls_wrap_async(self->entity, self->tlsserver, TRUE, s->tcp, NULL,
					   self->cancellable, tcp_server_tls_done, s);
		return;
	}
	proxy_bridge(s->tcp, "tcp service", mesh, "receptor connection");
	session_free(s);
}

static gboolean
tcp_server_incoming(GSocketService *service, GSocketConnection *connection,
		    GObject *source_object, gpointer user_data)
{
	TcpServer *self = user_data;
	TcpServerSession *s = g_new0(TcpServerSession, 1);
	self->ref++;
	s->self = self;
	s->tcp = g_object_ref(G_IO_STREAM(connection));
	rc_log_debug("Dialing %s:%s for TCP client", self->remotenode, self->remoteservice);
	self->host->mesh_dial_async(self->entity, self->remotenode, self->remoteservice,
				    self->tlsclient, self->cancellable, tcp_server_dial_done, s);
	return TRUE;
}

gboolean
proxy_tcp_server_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			GError **error)
{
	g_autofree TcpServer *self = g_new0(TcpServer, 1);
	self->ref = 1;
	self->host = host;
	self->entity = entity;
	self->bindaddr = proxy_param_string(params, "bindaddr");
	if (self->bindaddr == NULL)
		self->bindaddr = g_strdup("0.0.0.0");
	if (!g_variant_lookup(params, "port", "x", &self->port) || self->port < 0 ||
	    self->port > 65535) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "invalid port");
		proxy_tcp_server_free(g_steal_pointer(&self));
		return FALSE;
	}
	self->remotenode = proxy_param_string(params, "remotenode");
	self->remoteservice = proxy_param_string(params, "remoteservice");
	self->tlsserver = proxy_param_string(params, "tlsserver");
	self->tlsclient = proxy_param_string(params, "tlsclient");
	if ((self->tlsserver != NULL &&
	     !host->tls_check(entity, self->tlsserver, TRUE, error)) ||
	    (self->tlsclient != NULL && !host->tls_check(entity, self->tlsclient, FALSE, error))) {
		proxy_tcp_server_free(g_steal_pointer(&self));
		return FALSE;
	}
	*data = g_steal_pointer(&self);
	return TRUE;
}

gboolean
proxy_tcp_server_start(gpointer data, GError **error)
{
	TcpServer *self = data;
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(self->bindaddr);
	if (addr == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG,
			    "error listening on TCP: invalid bind address %s", self->bindaddr);
		return FALSE;
	}
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, (guint16)self->port);
	self->service = g_socket_service_new();
	/* Go listens with the system's SOMAXCONN; GIO's default backlog of 10
	 * resets bursts of clients */
	g_socket_listener_set_backlog(G_SOCKET_LISTENER(self->service), SOMAXCONN);
	self->cancellable = g_cancellable_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), sa,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
					   error)) {
		g_prefix_error(error, "error listening on TCP: ");
		g_clear_object(&self->service);
		return FALSE;
	}
	g_signal_connect(self->service, "incoming", G_CALLBACK(tcp_server_incoming), self);
	g_socket_service_start(self->service);
	rc_log_debug("Running TCP server on %s:%" G_GINT64_FORMAT " -> %s:%s", self->bindaddr,
		     self->port, self->remotenode, self->remoteservice);
	return TRUE;
}

void
proxy_tcp_server_stop(gpointer data)
{
	TcpServer *self = data;
	if (self->service != NULL) {
		g_socket_service_stop(self->service);
		g_socket_listener_close(G_SOCKET_LISTENER(self->service));
		g_signal_handlers_disconnect_by_data(self->service, self);
		g_clear_object(&self->service);
	}
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
}

static void
tcp_server_unref(TcpServer *self)
{
	if (--self->ref > 0)
		return;
	g_clear_object(&self->cancellable);
	g_free(self->bindaddr);
	g_free(self->remotenode);
	g_free(self->remoteservice);
	g_free(self->tlsserver);
	g_free(self->tlsclient);
	g_free(self);
}

void
proxy_tcp_server_free(gpointer data)
{
	TcpServer *self = data;
	if (self == NULL)
		return;
	proxy_tcp_server_stop(self);
	self->stopped = TRUE;
	tcp_server_unref(self); /* sessions in flight keep it until they end */
}

/* ------------------------------------------------------------ tcp-client */

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *service;
	char *address;
	char *host_part; /* expected DNS name for tlsclient */
	char *tlsserver; /* nullable: TLS of the mesh listener */
	char *tlsclient; /* nullable: TLS on the outbound TCP connection */
	RcListener *listener;
	GSocketClient *client;
	GCancellable *cancellable;
	gint ref;         /* the entity + one per session in flight */
	gboolean stopped; /* stop/free ran: callbacks only clean up */
} TcpClient;

static void tcp_client_unref(TcpClient *self);

typedef struct {
	TcpClient *self;
	GIOStream *mesh;
} TcpClientSession;

static void
client_session_free(TcpClientSession *s)
{
	g_clear_object(&s->mesh);
	tcp_client_unref(s->self);
	g_free(s);
}

static void
tcp_client_tls_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TcpClientSession *s = user_data;
	g_autoptr(GError) error = NULL;
	if (s->self->stopped) {
		g_io_stream_close(s->mesh, NULL, NULL);
		client_session_free(s);
		return;
	}
	g_autoptr(GIOStream) tls = s->self->host->tls_wrap_finish(s->self->entity, res, &error);
	if (tls == NULL) {
		rc_log_error("Error connecting via TCP: %s", error->message);
		g_io_stream_close(s->mesh, NULL, NULL);
	} else {
		proxy_bridge(s->mesh, "receptor service", tls, "tcp connection");
	}
	client_session_free(s);
}

static void
tcp_client_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	TcpClientSession *s = user_data;
	TcpClient *self = s->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &error);
	if (self->stopped) {
		if (conn != NULL)
			g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		g_io_stream_close(s->mesh, NULL, NULL);
		client_session_free(s);
		return;
	}
	if (conn == NULL) {
		/* Go leaves the stream open; we FIN it (streams.md 7.3) */
		rc_log_error("Error connecting via TCP: %s", error->message);
		g_io_stream_close(s->mesh, NULL, NULL);
		client_session_free(s);
		return;
	}
	if (self->tlsclient != NULL) {
		self->host->tls_wrap_async(self->entity, self->tlsclient, FALSE, G_IO_STREAM(conn),
					   self->host_part, self->cancellable, tcp_client_tls_done,
					   s);
		return;
	}
	proxy_bridge(s->mesh, "receptor service", G_IO_STREAM(conn), "tcp connection");
	client_session_free(s);
}

static void
tcp_client_accept(gpointer user_data, GIOStream *stream, const char *remote_node,
		  const char *remote_service)
{
	TcpClient *self = user_data;
	TcpClientSession *s = g_new0(TcpClientSession, 1);
	self->ref++;
	s->self = self;
	s->mesh = g_object_ref(stream);
	g_socket_client_connect_to_host_async(self->client, self->address, 0, self->cancellable,
					      tcp_client_connected, s);
}

gboolean
proxy_tcp_client_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			GError **error)
{
	g_autofree TcpClient *self = g_new0(TcpClient, 1);
	g_autoptr(GSocketConnectable) addr = NULL;
	self->ref = 1;
	self->host = host;
	self->entity = entity;
	self->service = proxy_param_string(params, "service");
	self->address = proxy_param_string(params, "address");
	self->tlsserver = proxy_param_string(params, "tlsserver");
	self->tlsclient = proxy_param_string(params, "tlsclient");
	/* the address must split as host:port at startup (streams.md 7.3) */
	if (self->address != NULL)
		addr = g_network_address_parse(self->address, 0, NULL);
	if (addr == NULL || g_network_address_get_port(G_NETWORK_ADDRESS(addr)) == 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_CONFIG, "address %s: missing port in address",
			    self->address != NULL ? self->address : "");
		proxy_tcp_client_free(g_steal_pointer(&self));
		return FALSE;
	}
	self->host_part = g_strdup(g_network_address_get_hostname(G_NETWORK_ADDRESS(addr)));
	if ((self->tlsserver != NULL &&
	     !host->tls_check(entity, self->tlsserver, TRUE, error)) ||
	    (self->tlsclient != NULL && !host->tls_check(entity, self->tlsclient, FALSE, error))) {
		proxy_tcp_client_free(g_steal_pointer(&self));
		return FALSE;
	}
	*data = g_steal_pointer(&self);
	return TRUE;
}

gboolean
proxy_tcp_client_start(gpointer data, GError **error)
{
	TcpClient *self = data;
	g_autoptr(GVariant) tags = g_variant_ref_sink(
	    g_variant_new_parsed("{'type': 'TCP Proxy', 'address': %s}", self->address));
	self->cancellable = g_cancellable_new();
	self->client = g_socket_client_new();
	self->listener = self->host->mesh_listen(self->entity, self->service, self->tlsserver,
						 tags, tcp_client_accept, self, error);
	if (self->listener == NULL) {
		g_prefix_error(error, "error listening on Receptor network: ");
		return FALSE;
	}
	rc_log_debug("Running TCP client: mesh service %s -> %s", self->service, self->address);
	return TRUE;
}

void
proxy_tcp_client_stop(gpointer data)
{
	TcpClient *self = data;
	if (self->listener != NULL) {
		self->host->mesh_unlisten(self->listener);
		self->listener = NULL;
	}
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
}

static void
tcp_client_unref(TcpClient *self)
{
	if (--self->ref > 0)
		return;
	g_clear_object(&self->client);
	g_clear_object(&self->cancellable);
	g_free(self->service);
	g_free(self->address);
	g_free(self->host_part);
	g_free(self->tlsserver);
	g_free(self->tlsclient);
	g_free(self);
}

void
proxy_tcp_client_free(gpointer data)
{
	TcpClient *self = data;
	if (self == NULL)
		return;
	proxy_tcp_client_stop(self);
	self->stopped = TRUE;
	tcp_client_unref(self); /* sessions in flight keep it until they end */
}
