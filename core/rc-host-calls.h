/* rc-host-calls.h: prototypes of the RcHost calls implemented by core
 * modules, so rc-host.c can assemble the table.  Each module adds its own
 * block (signatures exactly as the member in receptor-plugin.h). */
#pragma once

#include "receptor/receptor-plugin.h"

/* links (rc-link.c) */
RcLink *rc_link_open_stream(RcEntity *entity, GIOStream *stream, const char *peer,
			    RcLinkEndedFunc ended, gpointer user_data, GError **error);
RcLink *rc_link_open(RcEntity *entity, const RcLinkOps *ops, gpointer link_data,
		     const char *peer, RcLinkEndedFunc ended, gpointer user_data, GError **error);
void rc_link_received(RcLink *link, GBytes *message);
void rc_link_writable(RcLink *link);
void rc_link_closed(RcLink *link, const GError *reason);
void rc_link_set_transport(RcLink *link, GIOStream *transport);

/* TLS (rc-tls.c) */
gboolean rc_host_tls_check(RcEntity *entity, const char *name, gboolean server, GError **error);
void rc_host_tls_wrap_async(RcEntity *entity, const char *name, gboolean server, GIOStream *base,
			    const char *server_name, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data);
GIOStream *rc_host_tls_wrap_finish(RcEntity *entity, GAsyncResult *result, GError **error);

/* mesh streams (rc-stream.c) */
RcListener *rc_host_mesh_listen(RcEntity *entity, const char *service, const char *tls, GVariant *tags,
			       RcStreamAcceptFunc accept, gpointer user_data, GError **error);
void rc_host_mesh_unlisten(RcListener *listener);
void rc_host_mesh_dial_async(RcEntity *entity, const char *node, const char *service,
			     const char *tls, GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data);
GIOStream *rc_host_mesh_dial_finish(RcEntity *entity, GAsyncResult *result, GError **error);
RcMeshSocket *rc_host_mesh_socket_bind(RcEntity *entity, const char *service, GVariant *tags,
				       RcMeshDatagramFunc recv, gpointer user_data, GError **error);
const char *rc_host_mesh_socket_get_service(RcMeshSocket *socket);
gboolean rc_host_mesh_socket_send(RcMeshSocket *socket, const char *node, const char *service,
				  GBytes *payload, GError **error);
void rc_host_mesh_socket_close(RcMeshSocket *socket);

/* work (rc-workceptor.c) */
gboolean rc_host_work_type_register(RcEntity *entity, const char *worktype,
				    const RcWorkTypeOps *ops, gpointer type_data, GError **error);
const char *rc_host_work_unit_id(RcWorkUnit *unit);
const char *rc_host_work_unit_dir(RcWorkUnit *unit);
GVariant *rc_host_work_unit_params(RcWorkUnit *unit);
void rc_host_work_unit_update(RcWorkUnit *unit, guint32 state, const char *detail,
			      gint64 stdout_size);
gboolean rc_host_work_unit_launch_runner(RcWorkUnit *unit, const char *command, GError **error);

/* control (rc-control.c) */
gboolean rc_host_control_add_command(RcEntity *entity, const char *name,
				     RcControlCommandFunc func, gpointer user_data, GError **error);
void rc_host_control_reply(RcControlRequest *request, GVariant *result);
void rc_host_control_reply_error(RcControlRequest *request, const char *message);
