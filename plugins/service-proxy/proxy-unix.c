/* proxy-unix.c: unix-socket-server and unix-socket-client (streams.md 7.6, 7.7).
 * TLS applies to the mesh side only (`tls` names a tls-client for the server's
 * dial and a tls-server for the client's listener, streams.md 5). */
#include "proxy-unix.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "proxy-bridge.h"

/* ------------------------------------------------------------ unix-socket-server */

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *filename;
	gint64 permissions;
	char *remotenode;
	char *remoteservice;
	char *tls; /* nullable: tls-client of the mesh dial */
	int lock_fd;
	GSocketService *service;
	GCancellable *cancellable;
	gint ref;         /* the entity + one per dial in flight */
	gboolean stopped; /* free ran: callbacks only clean up */
} UnixServer;

typedef struct {
	UnixServer *self;
	GIOStream *local;
} UnixServerSession;

static void
unix_server_unref(UnixServer *self)
{
	if (--self->ref > 0)
		return;
	g_clear_object(&self->cancellable);
	g_free(self->filename);
	g_free(self->remotenode);
	g_free(self->remoteservice);
	g_free(self->tls);
	g_free(self);
}

static void
unix_server_dial_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	UnixServerSession *s = user_data;
	UnixServer *self = s->self;
	g_autoptr(GError) error = NULL;

	if (self->stopped) {
		/* stopped while dialling: the entity may be gone, only clean up */
		g_io_stream_close(s->local, NULL, NULL);
	} else {
		g_autoptr(GIOStream) mesh = self->host->mesh_dial_finish(self->entity, res, &error);
		if (mesh == NULL) {
			/* Go leaves the Unix connection open here; we close it (streams.md 7.6) */
			rc_log_error("Error connecting on Receptor network: %s", error->message);
			g_io_stream_close(s->local, NULL, NULL);
		} else {
			proxy_bridge(s->local, "unix socket service", mesh, "receptor connection");
		}
	}
	g_object_unref(s->local);
	unix_server_unref(self);
	g_free(s);
}

static gboolean
unix_server_incoming(GSocketService *service, GSocketConnection *connection,
		     GObject *source_object, gpointer user_data)
{
	UnixServer *self = user_data;
	UnixServerSession *s = g_new0(UnixServerSession, 1);
	self->ref++;
	s->self = self;
	s->local = g_object_ref(G_IO_STREAM(connection));
	self->host->mesh_dial_async(self->entity, self->remotenode, self->remoteservice, self->tls,
				    self->cancellable, unix_server_dial_done, s);
	return TRUE;
}

gboolean
proxy_unix_server_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			 GError **error)
{
	UnixServer *self = g_new0(UnixServer, 1);
	self->ref = 1;
	self->lock_fd = -1;
	self->host = host;
	self->entity = entity;
	self->filename = proxy_param_string(params, "filename");
	self->remotenode = proxy_param_string(params, "remotenode");
	self->remoteservice = proxy_param_string(params, "remoteservice");
	self->tls = proxy_param_string(params, "tls");
	if (!g_variant_lookup(params, "permissions", "x", &self->permissions))
		self->permissions = 0600;
	if (self->filename == NULL || self->remotenode == NULL || self->remoteservice == NULL ||
	    self->permissions < 0 || self->permissions > 07777 ||
	    (self->tls != NULL && !host->tls_check(entity, self->tls, FALSE, error))) {
		if (error != NULL && *error == NULL)
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "invalid unix-socket-server parameters");
		proxy_unix_server_free(self);
		return FALSE;
	}
	*data = self;
	return TRUE;
}

gboolean
proxy_unix_server_start(gpointer data, GError **error)
{
	UnixServer *self = data;
	g_autofree char *lockname = g_strdup_printf("%s.lock", self->filename);

	/* streams.md 7.6: exclusive non-blocking lock on <filename>.lock */
	self->lock_fd = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (self->lock_fd < 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "error opening Unix socket: could not acquire lock on socket file: %s",
			    g_strerror(errno));
		return FALSE;
	}
	if (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(self->lock_fd);
		self->lock_fd = -1;
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "error opening Unix socket: could not acquire lock on socket file: %s",
			    e == EWOULDBLOCK ? "fslock is already locked" : g_strerror(e));
		return FALSE;
	}
	if (unlink(self->filename) != 0 && errno != ENOENT) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "error opening Unix socket: could not overwrite socket file: %s",
			    g_strerror(errno));
		return FALSE;
	}
	g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(self->filename);
	self->service = g_socket_service_new();
	g_socket_listener_set_backlog(G_SOCKET_LISTENER(self->service), SOMAXCONN);
	self->cancellable = g_cancellable_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), sa,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
					   error)) {
		g_prefix_error(error, "error opening Unix socket: could not listen on socket file: ");
		g_clear_object(&self->service);
		return FALSE;
	}
	if (chmod(self->filename, (mode_t)self->permissions) != 0) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED,
			    "error opening Unix socket: error setting socket file permissions: %s",
			    g_strerror(errno));
		g_socket_listener_close(G_SOCKET_LISTENER(self->service));
		g_clear_object(&self->service);
		return FALSE;
	}
	g_signal_connect(self->service, "incoming", G_CALLBACK(unix_server_incoming), self);
	g_socket_service_start(self->service);
	rc_log_debug("Running Unix socket server on %s -> %s:%s", self->filename,
		     self->remotenode, self->remoteservice);
	return TRUE;
}

void
proxy_unix_server_stop(gpointer data)
{
	UnixServer *self = data;
	if (self->service != NULL) {
		g_socket_service_stop(self->service);
		g_socket_listener_close(G_SOCKET_LISTENER(self->service));
		g_signal_handlers_disconnect_by_data(self->service, self);
		g_clear_object(&self->service);
	}
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	if (self->lock_fd >= 0) {
		close(self->lock_fd);
		self->lock_fd = -1;
	}
}

void
proxy_unix_server_free(gpointer data)
{
	UnixServer *self = data;
	if (self == NULL)
		return;
	proxy_unix_server_stop(self);
	self->stopped = TRUE;
	unix_server_unref(self);
}

/* ------------------------------------------------------------ unix-socket-client */

typedef struct {
	const RcHost *host;
	RcEntity *entity;
	char *service;
	char *filename;
	char *tls; /* nullable: tls-server of the mesh listener */
	RcListener *listener;
	GSocketClient *client;
	GCancellable *cancellable;
	gint ref;
	gboolean stopped;
} UnixClient;

typedef struct {
	UnixClient *self;
	GIOStream *mesh;
} UnixClientSession;

static void
unix_client_unref(UnixClient *self)
{
	if (--self->ref > 0)
		return;
	g_clear_object(&self->client);
	g_clear_object(&self->cancellable);
	g_free(self->service);
	g_free(self->filename);
	g_free(self->tls);
	g_free(self);
}

static void
unix_client_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	UnixClientSession *s = user_data;
	UnixClient *self = s->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(source), res, &error);

	if (self->stopped) {
		if (conn != NULL)
			g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		g_io_stream_close(s->mesh, NULL, NULL);
	} else if (conn == NULL) {
		/* Go leaves the stream open; we FIN it (streams.md 7.7) */
		rc_log_error("Error connecting via Unix socket: %s", error->message);
		g_io_stream_close(s->mesh, NULL, NULL);
	} else {
		proxy_bridge(s->mesh, "receptor service", G_IO_STREAM(conn), "unix socket connection");
	}
	g_object_unref(s->mesh);
	unix_client_unref(self);
	g_free(s);
}

static void
unix_client_accept(gpointer user_data, GIOStream *stream, const char *remote_node,
		   const char *remote_service)
{
	UnixClient *self = user_data;
	UnixClientSession *s = g_new0(UnixClientSession, 1);
	g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(self->filename);
	self->ref++;
	s->self = self;
	s->mesh = g_object_ref(stream);
	g_socket_client_connect_async(self->client, G_SOCKET_CONNECTABLE(sa), self->cancellable,
				      unix_client_connected, s);
}

gboolean
proxy_unix_client_create(const RcHost *host, RcEntity *entity, GVariant *params, gpointer *data,
			 GError **error)
{
	UnixClient *self = g_new0(UnixClient, 1);
	self->ref = 1;
	self->host = host;
	self->entity = entity;
	self->service = proxy_param_string(params, "service");
	self->filename = proxy_param_string(params, "filename");
	self->tls = proxy_param_string(params, "tls");
	if (self->service == NULL || self->filename == NULL ||
	    (self->tls != NULL && !host->tls_check(entity, self->tls, TRUE, error))) {
		if (error != NULL && *error == NULL)
			g_set_error_literal(error, RC_ERROR, RC_ERROR_CONFIG,
					    "invalid unix-socket-client parameters");
		proxy_unix_client_free(self);
		return FALSE;
	}
	*data = self;
	return TRUE;
}

gboolean
proxy_unix_client_start(gpointer data, GError **error)
{
	UnixClient *self = data;
	g_autoptr(GVariant) tags = g_variant_ref_sink(
	    g_variant_new_parsed("{'type': 'Unix Proxy', 'filename': %s}", self->filename));
	self->cancellable = g_cancellable_new();
	self->client = g_socket_client_new();
	self->listener = self->host->mesh_listen(self->entity, self->service, self->tls, tags,
						 unix_client_accept, self, error);
	if (self->listener == NULL) {
		g_prefix_error(error, "error listening on Receptor network: ");
		return FALSE;
	}
	rc_log_debug("Running Unix socket client: mesh service %s -> %s", self->service,
		     self->filename);
	return TRUE;
}

void
proxy_unix_client_stop(gpointer data)
{
	UnixClient *self = data;
	if (self->listener != NULL) {
		self->host->mesh_unlisten(self->listener);
		self->listener = NULL;
	}
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
}

void
proxy_unix_client_free(gpointer data)
{
	UnixClient *self = data;
	if (self == NULL)
		return;
	proxy_unix_client_stop(self);
	self->stopped = TRUE;
	unix_client_unref(self);
}
