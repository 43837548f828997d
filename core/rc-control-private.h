/* rc-control-private.h: shared between rc-control.c and rc-control-cmds.c only. */
#pragma once

#include "rc-control.h"

/* The modules the control service uses land one by one; each switch turns
 * on the code that needs that module's implementation (rc-netceptor.c,
 * rc-tls.c, rc-stream.c).  Without them: status shows only this node,
 * ping/traceroute/connect answer with an error, no TLS, no mesh listener. */
#define RC_CONTROL_WITH_NETCEPTOR 1
#define RC_CONTROL_WITH_TLS 1
#define RC_CONTROL_WITH_STREAMS 1

/* Register the built-in commands (rc-control-cmds.c). */
void rc_control_cmds_register(RcControl *control);

/* Build the `status` reply object (control.md 3.1); `fields` (nullable)
 * restricts it to the named keys.  (transfer full) */
JsonNode *rc_control_build_status(RcCore *core, const char *const *fields);
