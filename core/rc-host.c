/* rc-host.c: the RcHost table handed to plugins.  Each module implements its
 * calls in its own file; this file only assembles the table.  Members are
 * NULL until their module exists (plugins test RC_HOST_HAS). */
#include "config.h"

#include "rc-core.h"
#include "rc-entity.h"

/* Host calls implemented by modules; each module's header declares its own. */
#include "rc-host-calls.h"

static const char *
host_node_id(RcEntity *entity)
{
	return entity->core->node_id;
}

static const char *
host_data_dir(RcEntity *entity)
{
	return entity->core->data_dir;
}

static const char *
host_entity_name(RcEntity *entity)
{
	return entity->desc->name;
}

static const char *
host_entity_origin(RcEntity *entity)
{
	return entity->origin;
}

static const RcHost rc_host_table = {
	.struct_size = sizeof(RcHost),
	.abi_major = RC_PLUGIN_ABI_MAJOR,
	.abi_minor = RC_PLUGIN_ABI_MINOR,
	.node_id = host_node_id,
	.data_dir = host_data_dir,
	.entity_name = host_entity_name,
	.entity_origin = host_entity_origin,
	/* links (rc-link.c) */
	.link_open_stream = rc_link_open_stream,
	.link_open = rc_link_open,
	.link_received = rc_link_received,
	.link_writable = rc_link_writable,
	.link_closed = rc_link_closed,
	.link_set_transport = rc_link_set_transport,
	/* TLS (rc-tls.c) */
	.tls_check = rc_host_tls_check,
	.tls_wrap_async = rc_host_tls_wrap_async,
	.tls_wrap_finish = rc_host_tls_wrap_finish,
	/* mesh streams (rc-stream.c) */
	.mesh_listen = rc_host_mesh_listen,
	.mesh_unlisten = rc_host_mesh_unlisten,
	.mesh_dial_async = rc_host_mesh_dial_async,
	.mesh_dial_finish = rc_host_mesh_dial_finish,
	.mesh_socket_bind = rc_host_mesh_socket_bind,
	.mesh_socket_get_service = rc_host_mesh_socket_get_service,
	.mesh_socket_send = rc_host_mesh_socket_send,
	.mesh_socket_close = rc_host_mesh_socket_close,
	/* work (rc-workceptor.c) */
	.work_type_register = rc_host_work_type_register,
	.work_unit_id = rc_host_work_unit_id,
	.work_unit_dir = rc_host_work_unit_dir,
	.work_unit_params = rc_host_work_unit_params,
	.work_unit_update = rc_host_work_unit_update,
	.work_unit_launch_runner = rc_host_work_unit_launch_runner,
	/* control (rc-control.c) */
	.control_add_command = rc_host_control_add_command,
	.control_reply = rc_host_control_reply,
	.control_reply_error = rc_host_control_reply_error,
	/* status */
};

const RcHost *
rc_host_get(void)
{
	return &rc_host_table;
}
